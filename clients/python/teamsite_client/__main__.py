"""python -m teamsite_client: the same as the `teamsite` command."""

import sys

from .cli import main

sys.exit(main())
