"""A real WordPress for the end-to-end tests: private MariaDB, Debian's WordPress, `php -S`.

Everything lives under one temporary folder (database files, wp-content with the plugin
symlinked in, logs); the only file written outside it is Debian's per-site config
`/etc/wordpress/config-<name>.php`, selected through `$_SERVER['WORDPRESS_CONFIG']` by an
`auto_prepend_file`, and removed again by `stop()`.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import httpx

from tests.e2e._procs import Service, free_port, port_open, wait_until

DOCROOT = Path("/usr/share/wordpress")
ETC = Path("/etc/wordpress")
REPO = Path(__file__).resolve().parents[2]
PLUGIN_SRC = REPO / "bridge" / "wordpress" / "switchyard"
HERE = Path(__file__).resolve().parent / "wp"


def php_str(value: str) -> str:
    """A PHP single-quoted string literal holding `value` exactly (no interpolation)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class MariaDB:
    """A private MariaDB server on a unix socket (no TCP), data in `root`."""

    def __init__(self, root: Path, binaries: dict[str, str]) -> None:
        self.root = root
        self.bin = binaries
        self.datadir = root / "data"
        self.socket = root / "mysqld.sock"
        self.service: Service | None = None

    def start(self) -> None:
        """Initialise the data folder and start the server; waits until it answers."""
        self.datadir.mkdir(parents=True)
        user = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(
            [
                self.bin["mariadb-install-db"],
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.service = Service(
            "mariadb",
            [
                self.bin["mariadbd"],
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                "--skip-networking",
                "--skip-grant-tables",
                f"--pid-file={self.root / 'mysqld.pid'}",
                "--innodb-buffer-pool-size=32M",
                "--skip-log-bin",
                *user,
            ],
            log=self.root / "mysqld.log",
        )
        self.service.start()
        wait_until(self.ping, timeout=60, what="MariaDB")
        self.sql("CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4")

    def ping(self) -> bool:
        """True when the server answers a query."""
        if self.service is None or not self.service.alive():
            raise RuntimeError(f"mariadbd exited:\n{self.service.tail() if self.service else ''}")
        return (
            self.socket.exists()
            and subprocess.run(
                [
                    self.bin["mariadb"],
                    "--no-defaults",
                    f"--socket={self.socket}",
                    "-uroot",
                    "-e",
                    "SELECT 1",
                ],
                capture_output=True,
                timeout=10,
                check=False,
            ).returncode
            == 0
        )

    def sql(self, statement: str) -> str:
        """Run one statement against the `wordpress` database (or none) and return its output."""
        result = subprocess.run(
            [
                self.bin["mariadb"],
                "--no-defaults",
                f"--socket={self.socket}",
                "-uroot",
                "-N",
                "-B",
                "-e",
                statement,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def stop(self) -> None:
        """Stop the server."""
        if self.service is not None:
            self.service.stop()


class WordPressSite:
    """Debian's WordPress served by `php -S` with several workers, on its own database."""

    def __init__(self, root: Path, db: MariaDB, php: str, *, debug: bool = True) -> None:
        self.root = root
        self.debug = debug
        self.db = db
        self.php = php
        self.name = f"switchyard-e2e-{secrets.token_hex(4)}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.content = root / "wp-content"
        self.debug_log = root / "debug.log"
        self.prepend = root / "prepend.php"
        self.router = root / "router.php"
        self.config = ETC / f"config-{self.name}.php"
        self.admin_password = secrets.token_urlsafe(16)
        self.service: Service | None = None
        self.extra_config: dict[str, str] = {}

    # -- setup -----------------------------------------------------------------------------

    def write_files(self, constants: dict[str, str]) -> None:
        """wp-content (theme, test mu-plugin, plugin symlink), config, prepend and router."""
        self.extra_config = dict(constants)
        for sub in ("plugins", "themes", "mu-plugins", "uploads"):
            (self.content / sub).mkdir(parents=True, exist_ok=True)
        (self.content / "plugins" / "switchyard").symlink_to(PLUGIN_SRC, target_is_directory=True)
        theme = self.content / "themes" / "switchyard-e2e"
        theme.mkdir()
        for name in ("style.css", "index.php"):
            (theme / name).write_text((HERE / "theme" / name).read_text())
        for mu_plugin in ("switchyard-e2e-probe.php", "legacy-migrated.php"):
            (self.content / "mu-plugins" / mu_plugin).write_text((HERE / mu_plugin).read_text())
        self.prepend.write_text(
            "<?php\n$_SERVER['WORDPRESS_CONFIG'] = " + php_str(self.name) + ";\n"
            "if (PHP_SAPI === 'cli' && !isset($_SERVER['HTTP_HOST'])) {\n"
            f"    $_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}';\n"
            "}\n"
        )
        self.router.write_text(
            (HERE / "router.php")
            .read_text()
            .replace("__CONTENT_DIR__", str(self.content))
            .replace("__DOCROOT__", str(DOCROOT))
            .replace("__PREPEND__", str(self.prepend))
        )
        self.write_config()

    def write_config(self) -> None:
        """(Re)write Debian's per-site config file with the current constants."""
        salts = "\n".join(
            f"define({php_str(k)}, {php_str(secrets.token_hex(32))});"
            for k in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        extra = "\n".join(
            f"define({php_str(k)}, {php_str(v)});" for k, v in self.extra_config.items()
        )
        ETC.mkdir(parents=True, exist_ok=True)
        self.config.write_text(f"""<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', {php_str("localhost:" + str(self.db.socket))});
define('WP_CONTENT_DIR', {php_str(str(self.content))});
define('WP_CONTENT_URL', {php_str(self.url + "/wp-content")});
define('WP_HOME', {php_str(self.url)});
define('WP_SITEURL', {php_str(self.url)});
define('WP_DEBUG', {"true" if self.debug else "false"});
define('WP_DEBUG_LOG', {php_str(str(self.debug_log))});
define('WP_DEBUG_DISPLAY', false);
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
{salts}
{extra}
$table_prefix = 'wp_';
""")

    def set_constants(self, **constants: str) -> None:
        """Change wp-config constants; the next request sees them (no restart needed)."""
        self.extra_config.update(constants)
        self.write_config()

    def start(self, workers: int = 4) -> None:
        """Start `php -S` with `workers` workers and wait for it."""
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": str(workers)}
        self.service = Service(
            "php-server",
            [
                self.php,
                "-d",
                f"auto_prepend_file={self.prepend}",
                "-d",
                "display_errors=0",
                # Every production PHP caches opcodes; php -S (the CLI SAPI) does not by default.
                "-d",
                "opcache.enable_cli=1",
                "-d",
                f"error_log={self.debug_log}",
                "-S",
                f"127.0.0.1:{self.port}",
                "-t",
                str(DOCROOT),
                str(self.router),
            ],
            env=env,
            cwd=DOCROOT,
            log=self.root / "php-server.log",
        )
        self.service.start()
        wait_until(lambda: port_open(self.port), timeout=20, what="php -S")

    def install(self) -> None:
        """Finish the install with one POST to wp-admin/install.php?step=2."""
        with httpx.Client(base_url=self.url, timeout=60) as client:
            answer = client.post(
                "/wp-admin/install.php?step=2",
                data={
                    "weblog_title": "Switchyard e2e",
                    "user_name": "admin",
                    "admin_password": self.admin_password,
                    "admin_password2": self.admin_password,
                    "pw_weak": "1",
                    "admin_email": "admin@example.org",
                    "blog_public": "0",
                    "language": "",
                },
            )
        if "Success!" not in answer.text:
            raise RuntimeError(
                f"WordPress install failed: HTTP {answer.status_code}\n{answer.text[:2000]}"
            )

    def php_eval(self, code: str, timeout: float = 60) -> str:
        """Run PHP code inside WordPress (php-cli requiring wp-load.php); returns its output.

        Raises:
            RuntimeError: with the output when the script fails.
        """
        script = self.root / f"eval-{secrets.token_hex(4)}.php"
        script.write_text(
            "<?php\ndefine('WP_ADMIN', false);\nrequire '/usr/share/wordpress/wp-load.php';\n"
            + code
            + "\n"
        )
        try:
            result = subprocess.run(
                [
                    self.php,
                    "-d",
                    f"auto_prepend_file={self.prepend}",
                    "-d",
                    "display_errors=stderr",
                    str(script),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                cwd=DOCROOT,
            )
        finally:
            script.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"php failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def activate_plugin(self) -> None:
        """Activate the plugin and the test theme."""
        out = self.php_eval(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';\n"
            "$r = activate_plugin('switchyard/switchyard.php');\n"
            "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }\n"
            "switch_theme('switchyard-e2e');\n"
            "update_option('permalink_structure', '');\n"
            "echo is_plugin_active('switchyard/switchyard.php') ? 'active' : 'inactive';"
        )
        if "active" not in out or "inactive" in out:
            raise RuntimeError(f"plugin not active: {out}")

    def create_page(self, title: str, content: str) -> int:
        """Publish a page and return its id."""
        out = self.php_eval(
            "$id = wp_insert_post(['post_type' => 'page', 'post_status' => 'publish', "
            f"'post_title' => {php_str(title)}, 'post_content' => {php_str(content)}], true);\n"
            "if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message()); exit(1); }\n"
            "echo $id;"
        )
        return int(out.strip().splitlines()[-1])

    def page_url(self, page_id: int) -> str:
        """The page's URL (plain permalinks)."""
        return f"{self.url}/?page_id={page_id}"

    def stop(self) -> None:
        """Stop `php -S` (whole process group) and remove the per-site config."""
        if self.service is not None:
            self.service.stop()
        self.config.unlink(missing_ok=True)
