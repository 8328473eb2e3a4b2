<?php
/**
 * Autoloader for the Switchyard bridge PHP client: `require __DIR__ . '/autoload.php';`.
 *
 * PSR-4: the namespace Switchyard\Bridge\ maps to src/. No composer needed; if composer
 * is used anyway, its autoloader and this one coexist.
 */

declare(strict_types=1);

spl_autoload_register(
    static function (string $class): void {
        $prefix = 'Switchyard\\Bridge\\';
        if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
            return;
        }
        $relative = substr($class, strlen($prefix));
        $file = __DIR__ . '/src/' . str_replace('\\', '/', $relative) . '.php';
        if (is_file($file)) {
            require_once $file;
        }
    }
);
