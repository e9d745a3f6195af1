"""azd pre-provision hook: stop before anything is created when a required value is missing.

`azd up` / `azd provision` run this first (azure.yaml). Without it a missing AUTH_CLIENT_ID would reach ARM
as an empty `authClientId`, which the template refuses (@minLength(1)) with a message about the parameter,
not about the azd value to set; before the parameter was required, the deployment "succeeded" with an app
that refused to start (entra: no audience) or an Easy Auth without a client id (appservice).

azd passes the environment's values (`azd env get-values`) to hooks as environment variables. Standard
library only: it runs on the deployer's machine before any virtual environment exists.
"""

from __future__ import annotations

import os
import re
import sys

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
AZURE_AUTH_MODES = ("entra", "appservice")  # AUTH_MODE=none is refused by the app outside Development


def problems(environ: dict[str, str]) -> list[str]:
    """One sentence per missing or wrong value, each naming the command that fixes it."""
    found = []
    client_id = environ.get("AUTH_CLIENT_ID", "").strip()
    if not client_id:
        found.append(
            "AUTH_CLIENT_ID is not set: it is the application (client) id of the app registration that represents "
            "this API (docs/deploy.md, 'App registration'). Set it with "
            "`azd env set AUTH_CLIENT_ID <application (client) id>`, then run azd again."
        )
    elif not GUID.fullmatch(client_id):
        found.append(
            f"AUTH_CLIENT_ID must be an application (client) id, a GUID such as "
            f"00000000-0000-0000-0000-000000000000, got {client_id!r}: "
            "`azd env set AUTH_CLIENT_ID <application (client) id>`."
        )
    mode = environ.get("AUTH_MODE", "").strip() or "entra"
    if mode not in AZURE_AUTH_MODES:
        found.append(
            f"AUTH_MODE must be entra or appservice in Azure, got {mode!r} (none is for local development only): "
            "`azd env set AUTH_MODE entra`."
        )
    return found


def main() -> int:
    found = problems(dict(os.environ))
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    if found:
        print("Nothing was provisioned.", file=sys.stderr)
        return 1
    print("Required values are set (AUTH_CLIENT_ID, AUTH_MODE).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
