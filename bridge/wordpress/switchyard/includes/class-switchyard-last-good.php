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
 * Small values (kind "quote") share one transient without expiry — WordPress autoloads it
 * with the other options, so reading it costs no query — and a page writes it at most once;
 * larger values (histories) get a transient each, expiring after keep() seconds. Writes are
 * buffered and done once at the end of the request (persist(), on `shutdown`), and only
 * when a value actually changed — a page served from a warm cache writes nothing.
 *
 * Names carry a generation number (option `switchyard_cache_generation`); flush() bumps it,
 * which empties the cache whether transients live in the options table or in an external
 * object cache, and then deletes the old rows from the options table.
 */
final class LastGood
{
    public const PREFIX = 'switchyard_lg_';
    public const GENERATION_OPTION = 'switchyard_cache_generation';
    /** Kinds whose values share one transient. */
    private const SHARED = ['quote'];

    /** @var array<string, array<string, array{data: array<mixed>, at: int}>> bucket name => key => entry */
    private static $buckets = [];
    /** @var array<string, true> buckets changed in this request */
    private static $dirty = [];
    /** @var array<string, true> buckets shared by a kind's keys (autoloaded, no expiry) */
    private static $shared = [];

    /** Last good values are kept this long (seconds): long enough to ride out an outage. */
    public static function keep(): int
    {
        return 30 * DAY_IN_SECONDS;
    }

    /**
     * Remember a good answer (written at the end of the request, if it changed).
     *
     * @param array<mixed> $data
     */
    public static function remember(string $kind, string $key, array $data, ?int $now = null): void
    {
        $bucket = self::bucket($kind, $key);
        $entries = self::load($bucket);
        if (isset($entries[$key]) && $entries[$key]['data'] == $data) {
            return; // unchanged: keep the original receipt time, write nothing
        }
        self::$buckets[$bucket][$key] = ['data' => $data, 'at' => $now ?? time()];
        self::$dirty[$bucket] = true;
    }

    /**
     * The last good answer and when it was received, or null.
     *
     * @return array{data: array<mixed>, at: int}|null
     */
    public static function recall(string $kind, string $key): ?array
    {
        $entries = self::load(self::bucket($kind, $key));
        return $entries[$key] ?? null;
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
     * Write the buckets changed during this request (hooked on `shutdown`).
     */
    public static function persist(): void
    {
        foreach (array_keys(self::$dirty) as $bucket) {
            set_transient($bucket, self::$buckets[$bucket] ?? [], isset(self::$shared[$bucket]) ? 0 : self::keep());
        }
        self::$dirty = [];
    }

    /**
     * Forget every cached value. Returns how many rows were deleted from the options table.
     */
    public static function flush(): int
    {
        global $wpdb;
        self::$buckets = [];
        self::$dirty = [];
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

    /**
     * @return array<string, array{data: array<mixed>, at: int}>
     */
    private static function load(string $bucket): array
    {
        if (!isset(self::$buckets[$bucket])) {
            $stored = get_transient($bucket);
            self::$buckets[$bucket] = is_array($stored) ? self::valid($stored) : [];
        }
        return self::$buckets[$bucket];
    }

    /**
     * @param array<mixed> $stored
     * @return array<string, array{data: array<mixed>, at: int}>
     */
    private static function valid(array $stored): array
    {
        $entries = [];
        $oldest = time() - self::keep();
        foreach ($stored as $key => $entry) {
            if (is_array($entry) && isset($entry['data'], $entry['at']) && is_array($entry['data']) && (int) $entry['at'] >= $oldest) {
                $entries[(string) $key] = ['data' => $entry['data'], 'at' => (int) $entry['at']];
            }
        }
        return $entries;
    }

    /** The transient holding (kind, key): prefix, generation, kind[, hashed key] (under 172 chars). */
    private static function bucket(string $kind, string $key): string
    {
        $generation = (int) get_option(self::GENERATION_OPTION, 0);
        $kind = substr(preg_replace('/[^a-z]/', '', strtolower($kind)) ?? '', 0, 12);
        $name = self::PREFIX . $generation . '_' . $kind;
        if (!in_array($kind, self::SHARED, true)) {
            return $name . '_' . md5($key);
        }
        self::$shared[$name] = true;
        return $name;
    }
}
