"""``python -m tools.devhost``: see devhost.cli."""

from tools.devhost.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
