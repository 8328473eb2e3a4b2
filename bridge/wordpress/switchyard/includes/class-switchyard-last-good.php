<?php
/**
 * Last good values, kept in transients so pages render (marked stale) when the bridge is down.
 *
 * @package Switchyard
 */

declare(strict_types=1);

namespace Switchyard\WordPress;

/**
 * Stores the last successful answer per (kind, key) with the time it was received.
 *
 * Keys carry a generation number (option `switchyard_cache_generation`); flush() bumps it,
 * which empties the cache whether transients live in the options table or in an external
 * object cache, and then deletes the old rows from the options table.
 */
final class LastGood
{
    public const PREFIX = 'switchyard_lg_';
    public const GENERATION_OPTION = 'switchyard_cache_generation';
    /** Last good values are kept this long (seconds): long enough to ride out an outage. */
    public const KEEP = 30 * DAY_IN_SECONDS;

    /**
     * Remember a good answer.
     *
     * @param array<mixed> $data
     */
    public static function remember(string $kind, string $key, array $data, ?int $now = null): void
    {
        set_transient(self::name($kind, $key), ['data' => $data, 'at' => $now ?? time()], self::KEEP);
    }

    /**
     * The last good answer and when it was received, or null.
     *
     * @return array{data: array<mixed>, at: int}|null
     */
    public static function recall(string $kind, string $key): ?array
    {
        $value = get_transient(self::name($kind, $key));
        if (!is_array($value) || !isset($value['data'], $value['at']) || !is_array($value['data'])) {
            return null;
        }
        return ['data' => $value['data'], 'at' => (int) $value['at']];
    }

    /**
     * The last good answer when younger than $ttl seconds (the optional page-side cache).
     *
     * @return array<mixed>|null
     */
    public static function fresh(string $kind, string $key, int $ttl, ?int $now = null): ?array
    {
        if ($ttl <= 0) {
            return null;
        }
        $value = self::recall($kind, $key);
        if ($value === null || ($now ?? time()) - $value['at'] > $ttl) {
            return null;
        }
        return $value['data'];
    }

    /**
     * Forget every cached value. Returns how many rows were deleted from the options table.
     */
    public static function flush(): int
    {
        global $wpdb;
        $generation = (int) get_option(self::GENERATION_OPTION, 0);
        update_option(self::GENERATION_OPTION, $generation + 1, true);
        $deleted = 0;
        if (isset($wpdb) && is_object($wpdb)) {
            foreach (['_transient_', '_transient_timeout_'] as $prefix) {
                $like = $wpdb->esc_like($prefix . self::PREFIX) . '%';
                $deleted += (int) $wpdb->query($wpdb->prepare("DELETE FROM {$wpdb->options} WHERE option_name LIKE %s", $like));
            }
        }
        wp_cache_delete('alloptions', 'options');
        return $deleted;
    }

    /** The transient name: prefix, generation, kind, hashed key (stays under 172 chars). */
    private static function name(string $kind, string $key): string
    {
        $generation = (int) get_option(self::GENERATION_OPTION, 0);
        return self::PREFIX . $generation . '_' . substr(preg_replace('/[^a-z]/', '', strtolower($kind)) ?? '', 0, 12) . '_' . md5($key);
    }
}
