<?php
/**
 * Router for `php -S`: serves wp-content from the test's content folder, existing files
 * from Debian's WordPress, and sends every other path to index.php.
 */

declare(strict_types=1);

// auto_prepend_file does not run before the router itself; it selects the site's config.
require_once '__PREPEND__';

$path = rawurldecode((string) parse_url((string) $_SERVER['REQUEST_URI'], PHP_URL_PATH));
if (strncmp($path, '/wp-content/', 12) === 0) {
    $root = realpath('__CONTENT_DIR__');
    $file = realpath('__CONTENT_DIR__' . substr($path, 11));
    if ($root !== false && $file !== false && strncmp($file, $root, strlen($root)) === 0
        && is_file($file) && substr($file, -4) !== '.php') {
        $types = ['css' => 'text/css', 'js' => 'application/javascript', 'svg' => 'image/svg+xml', 'png' => 'image/png'];
        header('Content-Type: ' . ($types[pathinfo($file, PATHINFO_EXTENSION)] ?? 'application/octet-stream'));
        readfile($file);
        return true;
    }
    http_response_code(404);
    return true;
}
if ($path !== '/' && file_exists('__DOCROOT__' . $path)) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = '__DOCROOT__/index.php';
require '__DOCROOT__/index.php';
