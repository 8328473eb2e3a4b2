<?php
/**
 * Signing and verifying bridge → WordPress callbacks.
 */

declare(strict_types=1);

namespace Switchyard\Bridge;

/**
 * HMAC-SHA256 signatures over "<timestamp>.<raw body>", as the bridge sends them:
 *
 *     X-Switchyard-Timestamp: 1767366245
 *     X-Switchyard-Signature: sha256=<hex HMAC-SHA256 of "1767366245.<raw body>">
 *
 * A signature is valid for WINDOW seconds either side of the receiver's clock. Replays
 * inside the window must be refused by the receiver, remembering each accepted signature
 * for the window (the WordPress plugin does this atomically in the options table).
 */
final class Signature
{
    public const WINDOW = 300;
    public const TIMESTAMP_HEADER = 'X-Switchyard-Timestamp';
    public const SIGNATURE_HEADER = 'X-Switchyard-Signature';

    /** The header value "sha256=<hex>" for a body sent at $timestamp. */
    public static function sign(string $secret, int $timestamp, string $body): string
    {
        return 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $secret);
    }

    /**
     * Both headers for a body, signed now (or at $now).
     *
     * @return array<string, string>
     */
    public static function headers(string $secret, string $body, ?int $now = null): array
    {
        $timestamp = $now ?? time();
        return [
            self::TIMESTAMP_HEADER => (string) $timestamp,
            self::SIGNATURE_HEADER => self::sign($secret, $timestamp, $body),
        ];
    }

    /**
     * Check a received call.
     *
     * @param string $secret The shared secret.
     * @param string|null $timestamp The X-Switchyard-Timestamp header (unix seconds).
     * @param string|null $signature The X-Switchyard-Signature header; several "sha256=…"
     *        values separated by commas or spaces are accepted (secret rotation).
     * @param string $body The raw body, byte for byte.
     * @param int|null $now The receiver's clock (unix seconds); defaults to time().
     * @param int $window Allowed clock distance in seconds.
     * @return string|null Null when valid, else why not: "no_secret", "missing_headers",
     *         "bad_timestamp", "expired", "bad_signature".
     */
    public static function verify(
        string $secret,
        ?string $timestamp,
        ?string $signature,
        string $body,
        ?int $now = null,
        int $window = self::WINDOW
    ): ?string {
        if ($secret === '') {
            return 'no_secret';
        }
        if ($timestamp === null || $timestamp === '' || $signature === null || $signature === '') {
            return 'missing_headers';
        }
        $timestamp = trim($timestamp);
        if (!preg_match('/^\d{1,12}$/', $timestamp)) {
            return 'bad_timestamp';
        }
        $now = $now ?? time();
        if (abs($now - (int) $timestamp) > $window) {
            return 'expired';
        }
        $expected = self::sign($secret, (int) $timestamp, $body);
        foreach (preg_split('/[\s,]+/', trim($signature)) ?: [] as $candidate) {
            if ($candidate !== '' && hash_equals($expected, strtolower($candidate))) {
                return null;
            }
        }
        return 'bad_signature';
    }
}
