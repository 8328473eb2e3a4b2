<?php
/**
 * The one exception type the client throws.
 */

declare(strict_types=1);

namespace Switchyard\Bridge;

/**
 * A failed bridge call: transport failure, error answer or unreadable answer.
 *
 * getErrorCode() is the contract's error code ("unknown_symbol", "rate_limited",
 * "provider_unavailable", "invalid_request", "unauthorized", "not_found",
 * "payload_too_large", "internal") or one of the client's own:
 * "bridge_unreachable" (no HTTP answer at all; status 0) and
 * "invalid_response" (an answer the client could not read).
 * getHttpStatus() is the HTTP status (0 when no HTTP exchange happened: the bridge was
 * unreachable, or the client refused an invalid argument before sending, code "invalid_request").
 * The message never contains the bearer token.
 */
final class BridgeException extends \RuntimeException
{
    public const UNREACHABLE = 'bridge_unreachable';
    public const INVALID_RESPONSE = 'invalid_response';

    /** Codes the contract defines, keyed by their usual HTTP status. */
    private const CODE_BY_STATUS = [
        401 => 'unauthorized',
        404 => 'not_found',
        413 => 'payload_too_large',
        422 => 'invalid_request',
        400 => 'invalid_request',
        429 => 'rate_limited',
        503 => 'provider_unavailable',
    ];

    /** @var string */
    private $errorCode;
    /** @var int */
    private $httpStatus;
    /** @var float|null */
    private $retryAfter;
    /** @var string|null */
    private $requestId;

    public function __construct(
        string $errorCode,
        string $message,
        int $httpStatus = 0,
        ?float $retryAfter = null,
        ?string $requestId = null,
        ?\Throwable $previous = null
    ) {
        parent::__construct($message, $httpStatus, $previous);
        $this->errorCode = $errorCode;
        $this->httpStatus = $httpStatus;
        $this->retryAfter = $retryAfter;
        $this->requestId = $requestId;
    }

    /** The contract's error code, or "bridge_unreachable" / "invalid_response". */
    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    /** The HTTP status of the answer; 0 when the bridge did not answer. */
    public function getHttpStatus(): int
    {
        return $this->httpStatus;
    }

    /** Seconds to wait before retrying (from Retry-After), when the bridge said so. */
    public function getRetryAfter(): ?float
    {
        return $this->retryAfter;
    }

    /** The X-Request-ID of the failed call, to find it in the bridge's logs. */
    public function getRequestId(): ?string
    {
        return $this->requestId;
    }

    /** True when the same call may succeed later (unreachable, rate limited, provider down, 5xx). */
    public function isRetryable(): bool
    {
        return in_array($this->errorCode, [self::UNREACHABLE, 'rate_limited', 'provider_unavailable', 'internal'], true)
            || $this->httpStatus >= 500;
    }

    /**
     * Build the exception for an error answer.
     *
     * @param int $status HTTP status of the answer.
     * @param string $body Raw body; the contract's {"error":{"code","message"}} when it is ours.
     * @param float|null $retryAfter Parsed Retry-After header.
     * @param string|null $requestId X-Request-ID of the call.
     */
    public static function fromResponse(int $status, string $body, ?float $retryAfter = null, ?string $requestId = null): self
    {
        $code = self::CODE_BY_STATUS[$status] ?? ($status >= 500 ? 'internal' : 'invalid_request');
        $message = sprintf('bridge answered HTTP %d', $status);
        $decoded = json_decode($body, true);
        if (is_array($decoded) && isset($decoded['error']) && is_array($decoded['error'])) {
            $error = $decoded['error'];
            if (isset($error['code']) && is_string($error['code']) && $error['code'] !== '') {
                $code = $error['code'];
            }
            if (isset($error['message']) && is_string($error['message']) && $error['message'] !== '') {
                $message = $error['message'];
            }
        } elseif (is_array($decoded) && isset($decoded['detail'])) {
            // FastAPI's default error shape, should a route ever answer with it.
            $message = is_string($decoded['detail']) ? $decoded['detail'] : (string) json_encode($decoded['detail']);
        }
        return new self($code, $message, $status, $retryAfter, $requestId);
    }

    /** The exception for a call that got no HTTP answer. */
    public static function unreachable(string $reason, ?string $requestId = null, ?\Throwable $previous = null): self
    {
        return new self(self::UNREACHABLE, 'bridge unreachable: ' . $reason, 0, null, $requestId, $previous);
    }

    /**
     * Copy of this exception with every occurrence of $secret replaced by "***".
     *
     * Transports may echo URLs or headers in their error messages; the client passes every
     * exception through here before it leaves, so the token never escapes.
     */
    public function redacted(string $secret): self
    {
        if ($secret === '' || strpos($this->getMessage(), $secret) === false) {
            return $this;
        }
        return new self(
            $this->errorCode,
            str_replace($secret, '***', $this->getMessage()),
            $this->httpStatus,
            $this->retryAfter,
            $this->requestId
        );
    }
}
