package io.storystream.common.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes every error of a Javalin server an RFC 9457 problem+json: thrown {@link ProblemException}s, Javalin's own
 * HTTP errors (404 for unknown routes, 405, 400 for unparsable bodies) and anything unexpected (500, logged with the
 * request id only).
 */
public final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  private static final ObjectMapper JSON = JsonMapper.shared();

  private Problems() {}

  public static void install(JavalinConfig config) {
    config.http.prefer405over404 = true;
    config.routes.exception(ProblemException.class, (e, ctx) -> write(ctx, e.problem()));
    config.routes.exception(HttpResponseException.class, (e, ctx) -> write(ctx, fromStatus(e.getStatus(), e.getMessage())));
    config.routes.exception(Exception.class, (e, ctx) -> {
      log.error("unhandled error on {} {} (request {})", ctx.method(), ctx.path(), ctx.attribute("requestId"), e);
      write(ctx, Problem.of(500, "internal", "Internal error", "the request failed on our side; it can be retried"));
    });
    config.routes.error(404, ctx -> {
      if (!Problem.MEDIA_TYPE.equals(ctx.res().getContentType())) {
        write(ctx, Problem.of(404, "not-found", "Not found", "no resource at " + ctx.path()));
      }
    });
    config.routes.error(405, ctx -> write(ctx, Problem.of(405, "method-not-allowed", "Method not allowed",
        ctx.method() + " is not allowed on " + ctx.path())));
  }

  /**
   * The request attribute a server may set to a {@link Vet}: every problem written for that request passes it first
   * (the ingress checks that the route declares the problem's type).
   */
  public static final String VET_ATTRIBUTE = "storystream.problemVet";

  /** Checks a problem before it is written; answers the problem to write instead. */
  @FunctionalInterface
  public interface Vet {
    Problem vet(Context ctx, Problem problem);
  }

  public static void write(Context ctx, Problem problem) {
    Vet vet = ctx.attribute(VET_ATTRIBUTE);
    if (vet != null) {
      problem = vet.vet(ctx, problem);
    }
    Problem located = problem.instance() == null ? problem.at(ctx.path()) : problem;
    try {
      ctx.status(located.status()).contentType(Problem.MEDIA_TYPE).result(JSON.writeValueAsBytes(located));
    } catch (Exception e) {
      ctx.status(located.status()).contentType(Problem.MEDIA_TYPE).result("{\"status\":" + located.status() + "}");
    }
  }

  static Problem fromStatus(int status, String message) {
    HttpStatus known = HttpStatus.forStatus(status);
    String slug = known.getMessage().toLowerCase().replaceAll("[^a-z0-9]+", "-");
    return Problem.of(status, slug, known.getMessage(), message);
  }
}
