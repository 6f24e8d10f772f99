package io.storystream.datastorybot.standin;

import java.util.Locale;

/** Failures the stand-in can inject, one per row of the contract's error table (plus a hung connection). */
public enum Fault {
  /** 400, a request DataStoryBot calls malformed. */
  BAD_REQUEST(400, "invalid_request"),
  /** 429 with {@code Retry-After}. */
  RATE_LIMITED(429, "rate_limited"),
  /** 500, the "retry once" case. */
  INTERNAL_ERROR(500, "internal_error"),
  BAD_GATEWAY(502, "bad_gateway"),
  /** 503 with {@code Retry-After}. */
  UNAVAILABLE(503, "service_unavailable"),
  GATEWAY_TIMEOUT(504, "gateway_timeout"),
  /** 409: a previous call on the same container is still running. */
  CONTAINER_BUSY(409, "container_busy"),
  /** The container is deleted now, as if its 20 minutes were over; answers 404. Ignored by upload. */
  CONTAINER_EXPIRED(404, "container_not_found"),
  /** 200 with a truncated JSON body. Ignored by file downloads. */
  MALFORMED_JSON(200, null),
  /** The request is read and never answered (until the stand-in closes). */
  HANG(0, null);

  final int status;
  final String code;

  Fault(int status, String code) {
    this.status = status;
    this.code = code;
  }

  boolean appliesTo(Endpoint endpoint) {
    return switch (this) {
      case CONTAINER_EXPIRED, CONTAINER_BUSY -> endpoint != Endpoint.UPLOAD;
      case MALFORMED_JSON -> endpoint != Endpoint.FILES;
      default -> true;
    };
  }

  /** Accepts the enum name or the flag spelling ({@code rate-limited}, {@code 503}, {@code hang}). */
  public static Fault parse(String text) {
    String t = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    for (Fault f : values()) {
      if (f.name().equals(t) || (f.status > 0 && f.status != 200 && f.status != 404 && f.status != 409 && Integer.toString(f.status).equals(t))) {
        return f;
      }
    }
    return switch (t) {
      case "429" -> RATE_LIMITED;
      case "EXPIRED", "EXPIRE" -> CONTAINER_EXPIRED;
      case "MALFORMED", "BAD_JSON" -> MALFORMED_JSON;
      case "BUSY" -> CONTAINER_BUSY;
      default -> throw new IllegalArgumentException("unknown fault '" + text + "'");
    };
  }
}
