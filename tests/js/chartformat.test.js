// Run by tests/experiments/test_chartformat.py with node: prints one JSON object of answers.
const f = require(process.argv[2]);
const out = {
  values: [1e-4, 0.00035, 0.001, 0.0123456, 0.5, 1, 12.5, 999.9, 1234, 12345, 1.5e6, 2.5e9, 3e12, -0.00042, 0, 1.23456e-9, 1e21, 999960, NaN, null].map((v) => f.formatValue(v, 4)),
  ticks_lr: f.formatTicks([0.0001, 0.0002, 0.0003, 0.0004, 0.0005], 0.0001),
  ticks_near_one: f.formatTicks([1.0001, 1.0002, 1.0003], 0.0001),
  ticks_loss: f.formatTicks([0, 0.5, 1, 1.5, 2], 0.5),
  ticks_quarter: f.formatTicks([0, 0.25, 0.5, 0.75], 0.25),
  ticks_big: f.formatTicks([0, 20000, 40000, 60000], 20000),
  ticks_millions: f.formatTicks([1000000, 1500000, 2000000], 500000),
  ticks_tiny: f.formatTicks([1e-7, 2e-7, 3e-7], 1e-7),
  ticks_neg: f.formatTicks([-0.002, -0.001, 0, 0.001], 0.001),
  durations: [5, 75, 3725, 90000].map(f.formatDuration),
};
console.log(JSON.stringify(out));
