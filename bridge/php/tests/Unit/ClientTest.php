<?php

declare(strict_types=1);

namespace Switchyard\Bridge\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Switchyard\Bridge\BridgeException;
use Switchyard\Bridge\Client;
use Switchyard\Bridge\Response;
use Switchyard\Bridge\Tests\RecordingTransport;

final class ClientTest extends TestCase
{
    private const TOKEN = 'tok-SECRET-0123456789abcdef';

    /** @param list<Response|\Throwable> $answers */
    private function client(array $answers, array $options = [], string $url = 'http://127.0.0.1:8765/'): array
    {
        $transport = new RecordingTransport($answers);
        $client = new Client($url, self::TOKEN, $options + ['transport' => $transport, 'request_id' => 'req-1']);
        return [$client, $transport];
    }

    private static function json(int $status, array $body, array $headers = []): Response
    {
        return new Response($status, $headers + ['Content-Type' => 'application/json'], (string) json_encode($body));
    }

    public function testQuoteBuildsPathHeadersAndDecodes(): void
    {
        [$client, $t] = $this->client([self::json(200, ['symbol' => 'BRK.B', 'price' => '412.10', 'stale' => false])]);
        $quote = $client->quote('BRK.B');
        self::assertSame('412.10', $quote['price']);
        $req = $t->last();
        self::assertSame('GET', $req['method']);
        self::assertSame('http://127.0.0.1:8765/v1/quotes/BRK.B', $req['url']);
        self::assertSame('Bearer ' . self::TOKEN, $req['headers']['Authorization']);
        self::assertSame('req-1', $req['headers']['X-Request-ID']);
        self::assertSame('application/json', $req['headers']['Accept']);
        self::assertLessThan(5.0, $req['timeout']);
        self::assertLessThanOrEqual($req['timeout'], $req['connect']);
    }

    public function testPathSegmentsAreEncoded(): void
    {
        [$client, $t] = $this->client([self::json(200, ['symbol' => 'x'])]);
        $client->profile('A/B C?');
        self::assertSame('http://127.0.0.1:8765/v1/profile/A%2FB%20C%3F', $t->last()['url']);
    }

    public function testQuotesJoinsSymbolsAndFillsDefaults(): void
    {
        [$client, $t] = $this->client([self::json(200, ['quotes' => [['symbol' => 'IBM']]])]);
        $result = $client->quotes(['IBM', ' msft ', '', 'ibm']);
        self::assertSame('http://127.0.0.1:8765/v1/quotes?symbols=IBM%2Cmsft', $t->last()['url']);
        self::assertSame([], $result['errors']);
        self::assertCount(1, $result['quotes']);
    }

    public function testQuotesWithoutSymbolsIsRefusedBeforeSending(): void
    {
        [$client, $t] = $this->client([]);
        try {
            $client->quotes(['', ' ']);
            self::fail('expected BridgeException');
        } catch (BridgeException $e) {
            self::assertSame('invalid_request', $e->getErrorCode());
            self::assertSame(0, $e->getHttpStatus());
            self::assertFalse($e->isRetryable());
        }
        self::assertSame([], $t->requests);
    }

    public function testHistoryQueryKeepsOnlyKnownNonEmptyOptions(): void
    {
        [$client, $t] = $this->client([self::json(200, ['symbol' => 'IBM', 'bars' => []])]);
        $client->history('IBM', ['interval' => '1d', 'range' => '6mo', 'start' => null, 'bogus' => 'x']);
        self::assertSame('http://127.0.0.1:8765/v1/history/IBM?interval=1d&range=6mo', $t->last()['url']);
    }

    public function testNewsAndSearchUnwrapTheirLists(): void
    {
        [$client, $t] = $this->client([
            self::json(200, ['items' => [['id' => '1'], ['id' => '2']]]),
            self::json(200, ['matches' => [['symbol' => 'IBM']]]),
        ]);
        self::assertCount(2, $client->news('IBM', 5));
        self::assertSame('http://127.0.0.1:8765/v1/news?limit=5&symbol=IBM', $t->last()['url']);
        self::assertSame([['symbol' => 'IBM']], $client->search('intl business & machines'));
        self::assertSame('http://127.0.0.1:8765/v1/search?q=intl%20business%20%26%20machines', $t->last()['url']);
    }

    public function testHealthNeedsNoTokenAndReturnsDegradedBody(): void
    {
        [$client, $t] = $this->client([self::json(503, ['status' => 'fail', 'checks' => []])]);
        self::assertSame('fail', $client->health()['status']);
        self::assertArrayNotHasKey('Authorization', $t->last()['headers']);
    }

    /**
     * @dataProvider errorAnswers
     */
    public function testErrorAnswersMapToTheContractCode(Response $answer, string $code, int $status, bool $retryable): void
    {
        [$client] = $this->client([$answer]);
        try {
            $client->quote('IBM');
            self::fail('expected BridgeException');
        } catch (BridgeException $e) {
            self::assertSame($code, $e->getErrorCode());
            self::assertSame($status, $e->getHttpStatus());
            self::assertSame($retryable, $e->isRetryable());
            self::assertSame('req-1', $e->getRequestId());
        }
    }

    /** @return array<string, array{Response, string, int, bool}> */
    public static function errorAnswers(): array
    {
        $err = static function (int $status, string $code, array $headers = []): Response {
            return self::json($status, ['error' => ['code' => $code, 'message' => 'm']], $headers);
        };
        return [
            'unknown symbol' => [$err(404, 'unknown_symbol'), 'unknown_symbol', 404, false],
            'rate limited' => [$err(429, 'rate_limited', ['Retry-After' => '7']), 'rate_limited', 429, true],
            'provider down' => [$err(503, 'provider_unavailable'), 'provider_unavailable', 503, true],
            'invalid' => [$err(422, 'invalid_request'), 'invalid_request', 422, false],
            'unauthorized' => [$err(401, 'unauthorized'), 'unauthorized', 401, false],
            'too large' => [$err(413, 'payload_too_large'), 'payload_too_large', 413, false],
            'internal' => [$err(500, 'internal'), 'internal', 500, true],
            'plain 502 from a proxy' => [new Response(502, [], '<html>Bad Gateway</html>'), 'internal', 502, true],
            'plain 401' => [new Response(401, [], ''), 'unauthorized', 401, false],
            'fastapi detail 422' => [self::json(422, ['detail' => [['loc' => ['query', 'range']]]]), 'invalid_request', 422, false],
        ];
    }

    public function testRetryAfterIsParsed(): void
    {
        [$client] = $this->client([self::json(429, ['error' => ['code' => 'rate_limited', 'message' => 'slow down']], ['Retry-After' => '12'])]);
        try {
            $client->quote('IBM');
            self::fail('expected BridgeException');
        } catch (BridgeException $e) {
            self::assertSame(12.0, $e->getRetryAfter());
            self::assertSame('slow down', $e->getMessage());
        }
    }

    public function testNonJsonSuccessIsInvalidResponse(): void
    {
        [$client] = $this->client([new Response(200, [], 'not json')]);
        $this->expectException(BridgeException::class);
        $this->expectExceptionMessage('not JSON');
        $client->quote('IBM');
    }

    public function testUnreachableBridgeIsOneExceptionTypeAndRetryable(): void
    {
        [$client] = $this->client([new \RuntimeException('boom')]);
        try {
            $client->quote('IBM');
            self::fail('expected BridgeException');
        } catch (BridgeException $e) {
            self::assertSame(BridgeException::UNREACHABLE, $e->getErrorCode());
            self::assertSame(0, $e->getHttpStatus());
            self::assertTrue($e->isRetryable());
        }
    }

    public function testTokenNeverAppearsInExceptionMessages(): void
    {
        [$client] = $this->client([
            BridgeException::unreachable('could not connect with Authorization: Bearer ' . self::TOKEN),
            self::json(500, ['error' => ['code' => 'internal', 'message' => 'echo ' . self::TOKEN]]),
            new \LogicException('transport said ' . self::TOKEN),
        ]);
        foreach (range(1, 3) as $ignored) {
            try {
                $client->quote('IBM');
                self::fail('expected BridgeException');
            } catch (BridgeException $e) {
                self::assertStringNotContainsString(self::TOKEN, $e->getMessage());
                self::assertStringNotContainsString(self::TOKEN, (string) $e);
                self::assertStringContainsString('***', $e->getMessage());
            }
        }
    }

    public function testTokenIsHiddenFromDumps(): void
    {
        [$client] = $this->client([]);
        self::assertStringNotContainsString(self::TOKEN, print_r($client, true));
        ob_start();
        var_dump($client);
        $dump = (string) ob_get_clean();
        self::assertStringNotContainsString(self::TOKEN, $dump);
    }

    public function testLogIsFireAndForget(): void
    {
        [$client, $t] = $this->client([
            self::json(202, ['accepted' => 1]),
            BridgeException::unreachable('refused'),
            new Response(500, [], ''),
        ], ['log_timeout' => 0.25]);
        self::assertTrue($client->log(['PHP Warning:  x in /a.php on line 1'], [['level' => 'info', 'message' => 'é/ü']]));
        $req = $t->last();
        self::assertSame('POST', $req['method']);
        self::assertSame('http://127.0.0.1:8765/v1/logs', $req['url']);
        self::assertSame('application/json', $req['headers']['Content-Type']);
        self::assertSame(0.25, $req['timeout']);
        self::assertSame(
            '{"source":"wordpress","lines":["PHP Warning:  x in /a.php on line 1"],"events":[{"level":"info","message":"é/ü"}]}',
            $req['body']
        );
        self::assertFalse($client->log(['again']));
        self::assertFalse($client->log(['and again']));
        self::assertTrue($client->log([]));
        self::assertCount(3, $t->requests);
    }

    public function testLogSurvivesInvalidUtf8(): void
    {
        [$client, $t] = $this->client([self::json(202, ['accepted' => 1])]);
        self::assertTrue($client->log(["bad \xB1 byte"]));
        self::assertNotFalse(json_decode((string) $t->last()['body']));
    }

    public function testConvertSendsRawBodiesWithTheirContentTypes(): void
    {
        [$client, $t] = $this->client([
            new Response(200, ['Content-Type' => 'application/xml'], '<a>1</a>'),
            new Response(200, ['Content-Type' => 'application/json'], '{"a":1}'),
            new Response(200, ['Content-Type' => 'application/xml'], '<b/>'),
        ]);
        self::assertSame('<a>1</a>', $client->jsonToXml('{"a":1}', 'readable'));
        self::assertSame('http://127.0.0.1:8765/v1/convert/json-to-xml?mapping=readable', $t->last()['url']);
        self::assertSame('{"a":1}', $t->last()['body']);
        self::assertSame('application/json', $t->last()['headers']['Content-Type']);
        self::assertSame(['a' => 1], $client->xmlToJson('<a>1</a>'));
        self::assertSame('application/xml', $t->last()['headers']['Content-Type']);
        $client->jsonToXml(['url' => 'http://x/y', 'n' => 1.0]);
        self::assertSame('{"url":"http://x/y","n":1.0}', $t->last()['body']);
    }

    public function testAlertRuleCrud(): void
    {
        [$client, $t] = $this->client([
            self::json(201, ['id' => 'r1', 'name' => 'ibm']),
            self::json(200, ['id' => 'r1', 'name' => 'ibm2']),
            new Response(204, [], ''),
            self::json(200, ['fired' => true]),
        ]);
        self::assertSame('r1', $client->createAlertRule(['name' => 'ibm'])['id']);
        self::assertSame('POST', $t->last()['method']);
        self::assertSame('{"name":"ibm"}', $t->last()['body']);
        $client->updateAlertRule('r1', ['name' => 'ibm2']);
        self::assertSame('PUT', $t->last()['method']);
        self::assertSame('http://127.0.0.1:8765/v1/alerts/rules/r1', $t->last()['url']);
        $client->deleteAlertRule('r1');
        self::assertSame('DELETE', $t->last()['method']);
        self::assertTrue($client->testAlertRule('r1')['fired']);
        self::assertSame('http://127.0.0.1:8765/v1/alerts/rules/r1/test', $t->last()['url']);
        self::assertNull($t->last()['body']);
    }

    public function testUnixSocketUrl(): void
    {
        [$client, $t] = $this->client([self::json(200, ['status' => 'ok'])], [], 'unix:///run/switchyard/bridge.sock');
        $client->health();
        self::assertSame('/run/switchyard/bridge.sock', $t->last()['socket']);
        self::assertSame('http://localhost/v1/health', $t->last()['url']);
    }

    public function testProviderLimitsAreReadFromMetrics(): void
    {
        $text = "# HELP bridge_marketdata_limit_remaining Requests left\n"
            . "# TYPE bridge_marketdata_limit_remaining gauge\n"
            . "bridge_marketdata_limit_remaining{provider=\"alphavantage\",window=\"86400s\"} 23.0\n"
            . "bridge_marketdata_limit_remaining{provider=\"finnhub\",window=\"60s\"} 58.0\n"
            . "bridge_requests_total{route=\"/v1/quotes\"} 4.0\n";
        [$client, $t] = $this->client([new Response(200, ['Content-Type' => 'text/plain'], $text)]);
        self::assertSame([
            ['provider' => 'alphavantage', 'window' => '86400s', 'remaining' => 23.0],
            ['provider' => 'finnhub', 'window' => '60s', 'remaining' => 58.0],
        ], $client->providerLimits());
        self::assertSame('http://127.0.0.1:8765/metrics', $t->last()['url']);
        self::assertSame('text/plain', $t->last()['headers']['Accept']);
        self::assertSame([], Client::parseLimits("bridge_requests_total 1\n"));
    }

    public function testBadUrlIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new Client('ftp://example.org', 't', ['transport' => new RecordingTransport([])]);
    }

    public function testEmptySymbolIsRefused(): void
    {
        [$client, $t] = $this->client([]);
        $this->expectException(BridgeException::class);
        $this->expectExceptionMessage('symbol: must not be empty');
        $client->quote('  ');
    }
}
