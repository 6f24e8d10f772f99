package io.storystream.ingress.export;

import io.javalin.http.Context;
import io.storystream.common.http.Problem;
import io.storystream.common.http.ProblemException;
import io.storystream.ingress.IngressParts;
import io.storystream.ingress.api.ExportBodies;
import io.storystream.ingress.auth.Principal;
import io.storystream.ingress.auth.Scope;
import io.storystream.ingress.http.Attrs;
import io.storystream.ingress.http.Json;
import io.storystream.ingress.http.Route;
import io.storystream.schemas.Tenant;
import io.storystream.schemas.TenantStatus;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The export routes: the operator's ({@code POST /admin/tenants/{tenantId}/export}) and the tenant's own
 * ({@code POST /v1/export}) start an export and answer 202 with its location; {@code GET} on the location answers its
 * state and, once completed, the link to the archive, which is streamed from S3. An export id of another tenant is
 * 404, exactly like one that does not exist.
 */
public final class ExportRoutes {
  private final TenantExports exports;
  private final IngressParts parts;

  public ExportRoutes(TenantExports exports, IngressParts parts) {
    this.exports = exports;
    this.parts = parts;
  }

  public List<Route> tenantRoutes() {
    return List.of(
        Route.post("/v1/export").tenant(Scope.FILES_WRITE).audit("tenant.export", null)
            .doc("exportTenantData", "Export everything the tenant has: one zip with its files, results (narratives, "
                + "charts, datasets), job history, usage events, statements and audit trail, and a manifest with the "
                + "SHA-256 of every entry. Asynchronous: 202 with the export's location; one export at a time")
            .returns(202, "the export, running; poll links.self", ExportBodies.Export.class)
            .reply(409, "an export of the tenant is still running (its id is in exportId)")
            .problems(409, "export-running")
            .handle(ctx -> start(ctx, Attrs.principal(ctx).tenantId(), "/v1/exports/")),
        Route.get("/v1/exports/{exportId}").tenant(Scope.FILES_WRITE).audit("export.read", "exportId")
            .doc("getExport", "An export's state; when completed, its size, checksum and the archive's link")
            .returns(200, "the export", ExportBodies.Export.class).apply(ExportRoutes::ofOneExport)
            .handle(ctx -> state(ctx, Attrs.principal(ctx).tenantId(), "/v1/exports/")),
        Route.get("/v1/exports/{exportId}/archive").tenant(Scope.FILES_WRITE).audit("export.download", "exportId")
            .doc("downloadExport", "The export's zip, streamed")
            .reply(200, "the archive", "application/zip").apply(ExportRoutes::ofOneExport)
            .reply(409, "the export is not completed").problems(409, "export-not-completed")
            .handle(ctx -> archive(ctx, Attrs.principal(ctx).tenantId())));
  }

  private static Route.Builder ofOneExport(Route.Builder route) {
    return route.reply(404, "no such export").problems(404, "export-not-found");
  }

  /** An operator route naming a tenant ({@link #tenantOf}): 404 for none, 409 for an erased one. */
  private static Route.Builder ofExportableTenant(Route.Builder route) {
    return route.reply(404, "no such tenant").problems(404, "not-found")
        .reply(409, "the tenant is erased").problems(409, "tenant-erased");
  }

  public List<Route> operatorRoutes() {
    return List.of(
        Route.post("/admin/tenants/{tenantId}/export").operator().audit("tenant.export", "tenantId")
            .doc("exportTenant", "Export a tenant's data (the same archive as the tenant's POST /v1/export)")
            .returns(202, "the export, running", ExportBodies.Export.class).apply(ExportRoutes::ofExportableTenant)
            .reply(409, "an export of the tenant is still running, or the tenant is erased")
            .problems(409, "export-running")
            .handle(ctx -> {
              String tenantId = tenantOf(ctx);
              start(ctx, tenantId, "/admin/tenants/" + tenantId + "/exports/");
            }),
        Route.get("/admin/tenants/{tenantId}/exports/{exportId}").operator().audit("export.read", "exportId")
            .doc("getTenantExport", "An export's state and, when completed, the archive's link")
            .returns(200, "the export", ExportBodies.Export.class).apply(ExportRoutes::ofExportableTenant)
            .apply(ExportRoutes::ofOneExport).reply(404, "no such tenant or export")
            .handle(ctx -> {
              String tenantId = tenantOf(ctx);
              state(ctx, tenantId, "/admin/tenants/" + tenantId + "/exports/");
            }),
        Route.get("/admin/tenants/{tenantId}/exports/{exportId}/archive").operator()
            .audit("export.download", "exportId")
            .doc("downloadTenantExport", "The export's zip, streamed")
            .reply(200, "the archive", "application/zip").apply(ExportRoutes::ofExportableTenant)
            .apply(ExportRoutes::ofOneExport).reply(404, "no such tenant or export")
            .reply(409, "the export is not completed, or the tenant is erased")
            .problems(409, "export-not-completed")
            .handle(ctx -> archive(ctx, tenantOf(ctx))));
  }

  private String tenantOf(Context ctx) {
    String tenantId = ctx.pathParam("tenantId");
    Attrs.auditTenant(ctx, tenantId);
    Optional<Tenant> tenant = parts.directory().tenant(tenantId);
    if (tenant.isEmpty()) {
      throw new ProblemException(404, "not-found", "Not found", "no such tenant");
    }
    if (tenant.get().getStatus() == TenantStatus.DELETED) {
      throw new ProblemException(409, "tenant-erased", "Tenant erased", "an erased tenant has nothing to export");
    }
    return tenantId;
  }

  private void start(Context ctx, String tenantId, String base) {
    Map.Entry<TenantExports.ExportState, Boolean> started = exports.start(tenantId);
    TenantExports.ExportState state = started.getKey();
    if (!started.getValue()) {
      throw new ProblemException(Problem.of(409, "export-running", "Export running",
          "an export of this tenant is still running").with("exportId", state.exportId()));
    }
    Attrs.auditResource(ctx, state.exportId());
    ctx.header("Location", base + state.exportId());
    Json.write(ctx, 202, view(state, base));
  }

  private void state(Context ctx, String tenantId, String base) {
    TenantExports.ExportState state = exports.state(tenantId, ctx.pathParam("exportId"))
        .orElseThrow(ExportRoutes::notFound);
    Json.write(ctx, 200, view(state, base));
  }

  private void archive(Context ctx, String tenantId) {
    String exportId = ctx.pathParam("exportId");
    TenantExports.ExportState state = exports.state(tenantId, exportId).orElseThrow(ExportRoutes::notFound);
    if (!"completed".equals(state.state())) {
      throw new ProblemException(Problem.of(409, "export-not-completed", "Export not completed",
          "the export is " + state.state()).with("state", state.state()));
    }
    InputStream archive = exports.archive(tenantId, exportId).orElseThrow(ExportRoutes::notFound);
    ctx.contentType("application/zip");
    ctx.header("Content-Disposition", "attachment; filename=\"" + tenantId + "-" + exportId + ".zip\"");
    ctx.result(archive); // streamed from S3, never held whole
  }

  private static ProblemException notFound() {
    return new ProblemException(404, "export-not-found", "Export not found", "no such export");
  }

  private static ExportBodies.Export view(TenantExports.ExportState s, String base) {
    boolean completed = "completed".equals(s.state());
    return new ExportBodies.Export(s.exportId(), s.state(), s.requestedAt(), s.completedAt(),
        completed ? s.bytes() : null, completed ? s.sha256() : null, completed ? s.entries() : null, s.error(),
        new ExportBodies.ExportLinks(base + s.exportId(), completed ? base + s.exportId() + "/archive" : null));
  }
}
