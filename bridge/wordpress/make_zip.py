"""Build switchyard.zip: the plugin with the PHP client bundled in lib/switchyard-bridge/.

Usage: python3 bridge/wordpress/make_zip.py [OUTPUT.zip]   (default ./switchyard.zip)
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN = HERE / "switchyard"
CLIENT = HERE.parent / "php"


def build(output: Path) -> Path:
    """Write the zip and return its path."""
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_file():
                archive.write(path, Path("switchyard") / path.relative_to(PLUGIN))
        client_files = [CLIENT / "autoload.php", *sorted((CLIENT / "src").rglob("*.php"))]
        for path in client_files:
            archive.write(
                path, Path("switchyard/lib/switchyard-bridge") / path.relative_to(CLIENT)
            )
    return output


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "switchyard.zip").resolve()
    print(build(target))
