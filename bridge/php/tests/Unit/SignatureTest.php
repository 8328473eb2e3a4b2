<?php

declare(strict_types=1);

namespace Switchyard\Bridge\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Switchyard\Bridge\Signature;

final class SignatureTest extends TestCase
{
    private const SECRET = 'shared-secret-for-tests';

    public function testSignMatchesAnIndependentHmac(): void
    {
        $body = '{"action":"flush_cache","rule":"ibm-up"}';
        $expected = 'sha256=' . hash_hmac('sha256', '1767366245.' . $body, self::SECRET);
        self::assertSame($expected, Signature::sign(self::SECRET, 1767366245, $body));
    }

    public function testKnownVectorComputedWithPython(): void
    {
        // hmac.new(b"k", b'1700000000.{"action":"flush_cache"}', hashlib.sha256).hexdigest()
        self::assertSame(
            'sha256=9b6c1dd43e362a7a31da575c271ec102c166be06e1b00c3f971c1d60761c0cbc',
            Signature::sign('k', 1700000000, '{"action":"flush_cache"}')
        );
    }

    public function testValidSignatureInsideWindowVerifies(): void
    {
        $body = '{"a":1}';
        $headers = Signature::headers(self::SECRET, $body, 1000);
        self::assertNull(Signature::verify(self::SECRET, $headers['X-Switchyard-Timestamp'], $headers['X-Switchyard-Signature'], $body, 1000 + 300));
        self::assertNull(Signature::verify(self::SECRET, $headers['X-Switchyard-Timestamp'], $headers['X-Switchyard-Signature'], $body, 1000 - 300));
    }

    public function testTimestampOutsideWindowIsExpired(): void
    {
        $body = '{"a":1}';
        $sig = Signature::sign(self::SECRET, 1000, $body);
        self::assertSame('expired', Signature::verify(self::SECRET, '1000', $sig, $body, 1301));
        self::assertSame('expired', Signature::verify(self::SECRET, '1000', $sig, $body, 699));
    }

    public function testAlteredBodyIsRefused(): void
    {
        $sig = Signature::sign(self::SECRET, 1000, '{"a":1}');
        self::assertSame('bad_signature', Signature::verify(self::SECRET, '1000', $sig, '{"a":2}', 1000));
        self::assertSame('bad_signature', Signature::verify(self::SECRET, '1000', $sig, '{"a":1} ', 1000));
    }

    public function testSignatureIsBoundToTheTimestamp(): void
    {
        $sig = Signature::sign(self::SECRET, 1000, '{}');
        self::assertSame('bad_signature', Signature::verify(self::SECRET, '1001', $sig, '{}', 1000));
    }

    public function testWrongSecretIsRefused(): void
    {
        $sig = Signature::sign('other', 1000, '{}');
        self::assertSame('bad_signature', Signature::verify(self::SECRET, '1000', $sig, '{}', 1000));
    }

    /**
     * @dataProvider malformedHeaders
     */
    public function testMalformedHeadersAreRefused(?string $timestamp, ?string $signature, string $reason): void
    {
        self::assertSame($reason, Signature::verify(self::SECRET, $timestamp, $signature, '{}', 1000));
    }

    /** @return array<string, array{?string, ?string, string}> */
    public static function malformedHeaders(): array
    {
        $good = Signature::sign(self::SECRET, 1000, '{}');
        return [
            'no timestamp' => [null, $good, 'missing_headers'],
            'no signature' => ['1000', null, 'missing_headers'],
            'empty signature' => ['1000', '', 'missing_headers'],
            'float timestamp' => ['1000.5', $good, 'bad_timestamp'],
            'negative timestamp' => ['-1000', $good, 'bad_timestamp'],
            'hex only, no prefix' => ['1000', substr($good, 7), 'bad_signature'],
            'other algorithm' => ['1000', 'sha1=' . substr($good, 7), 'bad_signature'],
        ];
    }

    public function testEmptySecretNeverVerifies(): void
    {
        $sig = Signature::sign('', 1000, '{}');
        self::assertSame('no_secret', Signature::verify('', '1000', $sig, '{}', 1000));
    }

    public function testOneOfSeveralSignaturesMayMatch(): void
    {
        $good = Signature::sign(self::SECRET, 1000, '{}');
        $other = Signature::sign('old', 1000, '{}');
        self::assertNull(Signature::verify(self::SECRET, '1000', $other . ', ' . $good, '{}', 1000));
    }
}
