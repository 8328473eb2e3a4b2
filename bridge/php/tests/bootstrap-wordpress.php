<?php
/**
 * PHPUnit bootstrap for the WordPress suite: boots the site named by the e2e harness.
 *
 * SWITCHYARD_TEST_WP_PREPEND: a PHP file that selects the site's config (sets
 * $_SERVER['WORDPRESS_CONFIG'] and HTTP_HOST); SWITCHYARD_TEST_WP_LOAD: wp-load.php
 * (default Debian's /usr/share/wordpress/wp-load.php).
 */

declare(strict_types=1);

$prepend = getenv('SWITCHYARD_TEST_WP_PREPEND');
if (!is_string($prepend) || !is_file($prepend)) {
    fwrite(STDERR, "SWITCHYARD_TEST_WP_PREPEND is not set: run this suite through `nox -s e2e`.\n");
    exit(2);
}
/**
 * Load WordPress inside a function: PHPUnit copies the bootstrap's new local variables into
 * $GLOBALS after including it, which would overwrite WordPress's registries (shortcodes,
 * hooks) with the empty arrays its files start from. WordPress declares the globals it needs.
 */
function switchyard_test_boot_wordpress(string $prepend): void
{
    require $prepend;
    require getenv('SWITCHYARD_TEST_WP_LOAD') ?: '/usr/share/wordpress/wp-load.php';
}
switchyard_test_boot_wordpress($prepend);
if (!function_exists('do_shortcode') || !class_exists('\\Switchyard\\WordPress\\Plugin')) {
    fwrite(STDERR, "WordPress loaded, but the Switchyard plugin is not active.\n");
    exit(2);
}
if (!\Switchyard\WordPress\Settings::loadClient()) {
    fwrite(STDERR, "The Switchyard plugin did not find the bridge PHP client.\n");
    exit(2);
}
