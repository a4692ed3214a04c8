"""MLflow's search grammar for runs/search, parsed for real (a tokenizer and a recursive-descent parser).

    filter      := comparison ( AND comparison )*
    comparison  := identifier comparator value
    identifier  := ENTITY "." key            (key: a dotted word, or "quoted" / `quoted`)
    comparator  := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value       := NUMBER | STRING | "(" STRING ( "," STRING )* ")"
    order_by    := identifier [ ASC | DESC ]

ENTITY is metrics, params, tags or attributes (with MLflow's singular and short
spellings). The result is a list of `Comparison`s, which `search.py` turns into one
queryset; `render` writes a filter back as text (the property tests round-trip it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENTITIES = {
    "metric": "metric", "metrics": "metric",
    "param": "param", "params": "param", "parameter": "param", "parameters": "param",
    "tag": "tag", "tags": "tag",
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute", "run": "attribute",
}
NUMERIC_ATTRIBUTES = {"start_time", "end_time"}
STRING_ATTRIBUTES = {"run_id", "run_name", "status", "user_id", "artifact_uri"}
ATTRIBUTE_ALIASES = {"created": "start_time", "Created": "start_time", "run_uuid": "run_id"}
NUMERIC_OPS = ("=", "!=", "<", "<=", ">", ">=")
STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")


class FilterError(ValueError):
    """A filter or order_by that does not parse: MLflow's INVALID_PARAMETER_VALUE."""


@dataclass(frozen=True)
class Comparison:
    entity: str  # metric, param, tag, attribute
    key: str
    op: str
    value: float | str | tuple

    @property
    def numeric(self) -> bool:
        return self.entity == "metric" or (self.entity == "attribute" and self.key in ("start_time", "end_time"))


@dataclass(frozen=True)
class Token:
    kind: str  # WORD, QUOTED (backticks), STRING, NUMBER, OP, LPAREN, RPAREN, COMMA, END
    text: str
    at: int


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<NUMBER>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_]))
    | (?P<WORD>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<QUOTED>`(?:[^`]|``)*`)
    | (?P<STRING>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    | (?P<OP><=|>=|!=|<>|==|=|<|>)
    | (?P<LPAREN>\()
    | (?P<RPAREN>\))
    | (?P<COMMA>,)
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    tokens, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            tokens.append(Token("END", "", at))
            return tokens
        match = _TOKEN.match(text, at)
        if not match or match.end() == at:
            raise FilterError(f"Invalid filter: unexpected {text[at:at + 20]!r} at position {at}.")
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        at = match.end()


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    if quote == "`":
        return body.replace("``", "`")
    body = body.replace(quote * 2, quote)
    return re.sub(r"\\(.)", r"\1", body)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def keyword(self, *words) -> bool:
        token = self.peek()
        return token.kind == "WORD" and token.text.upper() in words

    def fail(self, what: str):
        token = self.peek()
        where = f"at position {token.at}" if token.kind != "END" else "at the end"
        raise FilterError(f"Invalid filter {self.text!r}: expected {what} {where}.")

    def identifier(self) -> tuple[str, str]:
        token = self.take()
        if token.kind != "WORD":
            self.pos -= 1
            self.fail("an identifier such as metrics.loss, params.lr, tags.name or attributes.status")
        entity_text, dot, key = token.text.partition(".")
        bare = ATTRIBUTE_ALIASES.get(token.text, token.text)
        if not dot and (bare in NUMERIC_ATTRIBUTES or bare in STRING_ATTRIBUTES):
            return "attribute", bare  # `start_time DESC`, as MLflow's own UI sends
        entity = ENTITIES.get(entity_text) or ENTITIES.get(entity_text.lower())
        if entity is None or not dot:
            raise FilterError(
                f"Invalid entity type '{entity_text}' in {self.text!r}: use metrics., params., tags. or attributes."
            )
        if not key:  # metrics.`my key` or metrics."my key"
            quoted = self.take()
            if quoted.kind not in ("QUOTED", "STRING"):
                self.pos -= 1
                self.fail("a key after the dot")
            key = _unquote(quoted.text)
        if not key:
            raise FilterError(f"Invalid filter {self.text!r}: an empty key.")
        if entity == "attribute":
            key = ATTRIBUTE_ALIASES.get(key, key)
            if key not in NUMERIC_ATTRIBUTES and key not in STRING_ATTRIBUTES:
                raise FilterError(f"Invalid attribute key '{key}': use one of run_id, run_name, status, start_time, end_time, user_id.")
        return entity, key

    def comparator(self) -> str:
        token = self.peek()
        if token.kind == "OP":
            self.take()
            return {"==": "=", "<>": "!="}.get(token.text, token.text)
        if self.keyword("LIKE", "ILIKE", "IN"):
            return self.take().text.upper()
        if self.keyword("NOT"):
            self.take()
            if not self.keyword("IN"):
                self.fail("IN after NOT")
            self.take()
            return "NOT IN"
        self.fail("a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)")

    def value(self, numeric: bool, op: str):
        if op in ("IN", "NOT IN"):
            if self.take().kind != "LPAREN":
                self.pos -= 1
                self.fail("( after IN")
            items = [self.string()]
            while self.peek().kind == "COMMA":
                self.take()
                items.append(self.string())
            if self.take().kind != "RPAREN":
                self.pos -= 1
                self.fail(", or )")
            return tuple(items)
        if numeric:
            token = self.take()
            if token.kind != "NUMBER":
                self.pos -= 1
                self.fail("a number")
            return float(token.text)
        return self.string()

    def string(self) -> str:
        token = self.take()
        if token.kind != "STRING":
            self.pos -= 1
            self.fail("a quoted string value")
        return _unquote(token.text)

    def comparison(self) -> Comparison:
        entity, key = self.identifier()
        op = self.comparator()
        numeric = entity == "metric" or (entity == "attribute" and key in NUMERIC_ATTRIBUTES)
        allowed = NUMERIC_OPS if numeric else STRING_OPS
        if op not in allowed:
            raise FilterError(f"Invalid comparator '{op}' for {entity} {key!r}: use one of {', '.join(allowed)}.")
        return Comparison(entity, key, op, self.value(numeric, op))

    def filter(self) -> list[Comparison]:
        if self.peek().kind == "END":
            return []
        found = [self.comparison()]
        while self.keyword("AND"):
            self.take()
            found.append(self.comparison())
        if self.keyword("OR"):
            raise FilterError(f"Invalid filter {self.text!r}: MLflow's search joins comparisons with AND only.")
        if self.peek().kind != "END":
            self.fail("AND or the end of the filter")
        return found

    def order(self) -> tuple[str, str, bool]:
        entity, key = self.identifier()
        ascending = True
        if self.keyword("ASC", "DESC"):
            ascending = self.take().text.upper() == "ASC"
        if self.peek().kind != "END":
            self.fail("ASC, DESC or the end of the order_by clause")
        return entity, key, ascending


def parse_filter(text: str | None) -> list[Comparison]:
    return _Parser(text or "").filter()


def parse_order_by(clause: str) -> tuple[str, str, bool]:
    """(entity, key, ascending) of one order_by clause such as 'metrics.loss DESC'."""
    return _Parser(clause).order()


# --- Writing a filter back ----------------------------------------------------------------

ENTITY_PREFIX = {"metric": "metrics", "param": "params", "tag": "tags", "attribute": "attributes"}


def _quote_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key) and not key.endswith(".") else "`" + key.replace("`", "``") + "`"


def _quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render(comparisons: list[Comparison]) -> str:
    parts = []
    for c in comparisons:
        if isinstance(c.value, tuple):
            value = "(" + ", ".join(_quote_string(v) for v in c.value) + ")"
        elif isinstance(c.value, float):
            value = repr(c.value)
        else:
            value = _quote_string(c.value)
        parts.append(f"{ENTITY_PREFIX[c.entity]}.{_quote_key(c.key)} {c.op} {value}")
    return " AND ".join(parts)


def like_regex(pattern: str) -> str:
    """SQL LIKE as a regular expression (% any run, _ one character), anchored at both ends."""
    out = []
    for char in pattern:
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return "^" + "".join(out) + "$"


def parse_simple(text: str | None, fields: set[str]) -> list[Comparison]:
    """The registry searches' small grammar: `name LIKE 'x%' AND tags.k != 'v'` (bare field names,
    `attribute.` optional, tags by key), with the same tokenizer and comparators as runs/search."""
    parser = _Parser(text or "")
    found = []
    if parser.peek().kind == "END":
        return found
    while True:
        token = parser.take()
        if token.kind != "WORD":
            parser.pos -= 1
            parser.fail(f"one of {', '.join(sorted(fields))} or tags.<key>")
        head, dot, key = token.text.partition(".")
        if head in ("tag", "tags"):
            if not key:
                quoted = parser.take()
                if quoted.kind not in ("QUOTED", "STRING"):
                    parser.pos -= 1
                    parser.fail("a tag key")
                key = _unquote(quoted.text)
            entity = "tag"
        else:
            entity, key = "attribute", key if head in ("attribute", "attributes", "attr") and dot else token.text
            if key not in fields:
                raise FilterError(f"Invalid filter {text!r}: {key!r} is not one of {', '.join(sorted(fields))}.")
        op = parser.comparator()
        if op not in STRING_OPS:
            raise FilterError(f"Invalid comparator '{op}' in {text!r}: use one of {', '.join(STRING_OPS)}.")
        found.append(Comparison(entity, key, op, parser.value(False, op)))
        if not parser.keyword("AND"):
            break
        parser.take()
    if parser.peek().kind != "END":
        parser.fail("AND or the end of the filter")
    return found
