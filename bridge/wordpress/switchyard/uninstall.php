<?php
/**
 * Removes everything the plugin stored: its settings, cached values, action log and the
 * signatures and idempotency keys it remembers. Runs when the plugin is deleted in wp-admin.
 *
 * @package Switchyard
 */

declare(strict_types=1);

if (!defined('WP_UNINSTALL_PLUGIN')) {
    exit;
}

delete_option('switchyard_settings');
delete_option('switchyard_cache_generation');
delete_option('switchyard_action_log');
delete_transient('switchyard_log_backoff');

global $wpdb;
foreach (['_transient_switchyard_lg_', '_transient_timeout_switchyard_lg_', 'switchyard_nonce_', 'switchyard_idem_'] as $prefix) {
    $wpdb->query($wpdb->prepare("DELETE FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like($prefix) . '%'));
}
