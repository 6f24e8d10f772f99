package io.storystream.ingress.dashboard;

import io.javalin.http.Context;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.embed.EmbedSettings;
import io.storystream.ingress.http.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The tenant dashboard: a static single-page app bundled in the jar (no CDN, works offline) on the tenant port, same
 * origin as {@code /v1}. {@code /} is the signed-in app (framing refused); {@code /embed/{tenantId}} is the same page
 * framable by the origins configured for that tenant ({@link EmbedSettings}); the page reads its embed token from the
 * URL fragment, which never reaches a server. Every page answer carries a strict Content-Security-Policy (scripts and
 * styles from this origin only, nothing inline; images from here or from blob: URLs the app makes of fetched charts).
 */
public final class DashboardRoutes {
  private static final String BASE = "dashboard/";
  private static final Pattern ASSET = Pattern.compile("[a-z0-9-]{1,40}\\.(mjs|js|css|svg|png)");
  private static final Map<String, String> MEDIA = Map.of("mjs", "text/javascript; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8", "svg", "image/svg+xml", "png", "image/png");

  private final EmbedSettings settings;
  private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

  public DashboardRoutes(EmbedSettings settings) {
    this.settings = settings;
  }

  public List<Route> routes() {
    return List.of(
        Route.get("/").doc("dashboard", "The tenant dashboard (HTML; sign in with an API key or open /#token=<JWT>)")
            .reply(200, "the page", "text/html")
            .handle(ctx -> page(ctx, "'none'")),
        Route.get("/embed/{tenantId}")
            .doc("dashboardEmbed", "The dashboard for an <iframe> on the tenant's configured origins (/embed/{t}#token=<JWT>)")
            .reply(200, "the page", "text/html")
            .handle(ctx -> page(ctx, settings.frameAncestorsOf(ctx.pathParam("tenantId")))),
        Route.get("/assets/{name}").doc("dashboardAsset", "A script, style sheet or image of the dashboard")
            .reply(200, "the asset", "text/javascript").reply(404, "no such asset").problems(404, "not-found")
            .handle(this::asset));
  }

  /** The Content-Security-Policy of a page that the given origins (a CSP source list) may frame. */
  public static String contentSecurityPolicy(String frameAncestors) {
    return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors " + frameAncestors;
  }

  private void page(Context ctx, String frameAncestors) {
    ctx.header("Content-Security-Policy", contentSecurityPolicy(frameAncestors));
    if ("'none'".equals(frameAncestors)) {
      ctx.header("X-Frame-Options", "DENY"); // for browsers older than frame-ancestors
    }
    common(ctx);
    ctx.contentType("text/html; charset=utf-8").result(resource("index.html"));
  }

  private void asset(Context ctx) {
    String name = ctx.pathParam("name");
    if (!ASSET.matcher(name).matches() || getClass().getClassLoader().getResource(BASE + name) == null) {
      throw new ProblemException(404, "not-found", "Not found", "no such asset");
    }
    common(ctx);
    ctx.contentType(MEDIA.get(name.substring(name.lastIndexOf('.') + 1))).result(resource(name));
  }

  private static void common(Context ctx) {
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cache-Control", "no-cache");
    ctx.header("Cross-Origin-Opener-Policy", "same-origin");
  }

  private byte[] resource(String name) {
    return cache.computeIfAbsent(name, n -> {
      try (InputStream in = getClass().getClassLoader().getResourceAsStream(BASE + n)) {
        if (in == null) {
          throw new IllegalStateException("the dashboard's " + n + " is missing from the jar");
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
