<?php
/**
 * Switchyard — WordPress side of the Switchyard bridge.
 *
 * @package Switchyard
 *
 * @wordpress-plugin
 * Plugin Name:       Switchyard
 * Description:       Quotes, charts, log forwarding and signed alert actions through the local Switchyard bridge.
 * Version:           0.1.0
 * Requires at least: 6.0
 * Requires PHP:      7.4
 * Author:            Switchyard maintainers
 * License:           MIT
 * Text Domain:       switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

// Never run outside WordPress.
if (!defined('WPINC')) {
    die;
}

const VERSION = '0.1.0';
const PLUGIN_FILE = __FILE__;

require_once __DIR__ . '/includes/class-switchyard-settings.php';
require_once __DIR__ . '/includes/class-switchyard-last-good.php';
require_once __DIR__ . '/includes/class-switchyard-chart.php';
require_once __DIR__ . '/includes/class-switchyard-shortcodes.php';
require_once __DIR__ . '/includes/class-switchyard-log-forwarder.php';
require_once __DIR__ . '/includes/class-switchyard-action-route.php';
require_once __DIR__ . '/includes/class-switchyard-admin.php';
require_once __DIR__ . '/includes/class-switchyard-plugin.php';

Plugin::instance()->register();
