package io.storystream.ingress.http;

import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.Problems;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check that a route answers only the problem types it declares ({@link Route.Builder#problems}), the same
 * declarations the OpenAPI document lists: every problem a route's request writes passes {@link #vet} first
 * (common's {@link Problems#write} calls it). An undeclared one is a programming error, like a body of an undeclared
 * type in {@link Json#write}: it is logged as an error and, when assertions are enabled (every test run), answered
 * as a 500 instead, so the test that reaches it fails. In production the client still gets the problem as it was.
 */
public final class DeclaredProblems {
  private static final Logger log = LoggerFactory.getLogger(DeclaredProblems.class);
  /** Enabled by {@code -ea} (Maven's test runner enables assertions) or {@code -Dstorystream.strictProblems=true}. */
  static final boolean STRICT = strict();
  private static final AtomicLong UNDECLARED = new AtomicLong();

  /** The vet {@link ApiServer} sets on every request. */
  static final Problems.Vet VET = DeclaredProblems::vet;

  private DeclaredProblems() {}

  @SuppressWarnings("AssertWithSideEffects")
  private static boolean strict() {
    boolean assertions = false;
    assert assertions = true; // true only with assertions enabled
    return assertions || Boolean.getBoolean("storystream.strictProblems");
  }

  static Problem vet(Context ctx, Problem problem) {
    Route route = ctx.attribute(Attrs.ROUTE);
    if (route == null || route.declares(problem.status(), problem.type())) {
      return problem; // no route matched (404/405 of the server), or declared
    }
    UNDECLARED.incrementAndGet();
    log.error("{} {} answered {} {}, which the route does not declare (request {})", route.method(), route.path(),
        problem.status(), problem.type(), Attrs.requestId(ctx));
    if (!STRICT) {
      return problem;
    }
    return Problem.of(500, "internal", "Internal error", "the route answered the undeclared problem "
        + problem.status() + " " + problem.type());
  }

  /** How many undeclared problems this process has answered (tests assert it stays 0). */
  public static long undeclared() {
    return UNDECLARED.get();
  }
}
