<?php
/**
 * PHPUnit bootstrap: the client's autoloader and the test helpers.
 */

declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';
require __DIR__ . '/RecordingTransport.php';
