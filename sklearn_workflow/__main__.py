"""Command line: ``python -m sklearn_workflow run [DATA] --target COL``."""

import sys

from sklearn_workflow.workflow._cli import main

if __name__ == "__main__":
    sys.exit(main())
