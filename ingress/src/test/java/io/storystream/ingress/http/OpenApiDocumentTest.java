package io.storystream.ingress.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.storystream.common.billing.api.PriceBookDocument;
import io.storystream.ingress.api.AnalysisBodies;
import io.storystream.ingress.api.OperatorBodies;
import io.storystream.ingress.api.ProblemTypes;
import io.storystream.ingress.auth.Scope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The document's schemas are generated from the body records: what each record says is what the document says. */
class OpenApiDocumentTest {
  private static final ObjectNode DOC = OpenApiDocument.build(
      List.of(Route.post("/v1/analyses").tenant(Scope.ANALYSES_WRITE).doc("submitAnalysis", "submit")
          .body(AnalysisBodies.SubmitAnalysis.class).returns(202, "accepted", AnalysisBodies.Job.class)
          .reply(422, "invalid").handle(ctx -> { }),
          Route.get("/v1/legacy").doc("legacy", "a status without its problem types").reply(409, "conflict")
          .handle(ctx -> { }),
          Route.get("/v1/statements/{month}").tenant(Scope.USAGE_READ).doc("getStatement", "a statement")
          .reply(404, "none").problems(404, "not-found").reply(400, "bad")
          .problems(400, "invalid-month", "invalid-request").handle(ctx -> { })),
      List.of(Route.get("/admin/tenants").operator().doc("listTenants", "tenants")
          .returns(200, "the tenants", OperatorBodies.TenantList.class).handle(ctx -> { }),
          Route.put("/admin/price-books/{version}").operator().doc("publishPriceBook", "publish")
          .document(PriceBookDocument.class, "application/json", "application/yaml")
          .returns(200, "the document", PriceBookDocument.class).handle(ctx -> { }),
          Route.get("/openapi.json").doc("openapi", "this document")
          .returns(200, "the document", ObjectNode.class).handle(ctx -> { })),
      "http://127.0.0.1:8080", "http://127.0.0.1:8082");

  private static JsonNode schema(String name) {
    return DOC.path("components").path("schemas").path(name);
  }

  @Test
  void requestAndResponseBodiesReferToTheirRecordsSchemas() {
    JsonNode op = DOC.path("paths").path("/v1/analyses").path("post");
    assertThat(op.at("/requestBody/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/SubmitAnalysis");
    assertThat(op.at("/responses/202/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/Job");
    // reading a JSON body declares what that reading refuses
    assertThat(op.at("/responses/422/content/application~1problem+json/schema/oneOf")).extracting(n -> n.path("$ref")
        .asText()).containsExactly("#/components/schemas/InvalidBodyProblem",
            "#/components/schemas/UnknownFieldProblem");
    assertThat(op.at("/responses/400/content/application~1problem+json/schema/oneOf/0/$ref").asText())
        .isEqualTo("#/components/schemas/MalformedJsonProblem");
    assertThat(DOC.at("/paths/~1admin~1tenants/get/responses/200/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/TenantList");
  }

  @Test
  void aRecordsComponentsAreRequiredUnlessMarkedOptionalAndThenMayBeNull() {
    JsonNode submit = schema("SubmitAnalysis");
    assertThat(names(submit.path("required"))).containsExactly("fileId");
    assertThat(submit.at("/properties/fileId/type").asText()).isEqualTo("string");
    assertThat(names(submit.at("/properties/steeringPrompt/type"))).containsExactlyInAnyOrder("string", "null");
    assertThat(submit.path("additionalProperties").asBoolean(true)).as("unknown fields are refused").isFalse();

    JsonNode job = schema("Job");
    assertThat(names(job.path("required"))).contains("jobId", "state", "fromCache", "promptFlags", "links")
        .doesNotContain("reason", "position", "completedAt");
    assertThat(names(resolve(job.at("/properties/state")).path("enum")))
        .containsExactly("queued", "admitted", "running", "completed", "failed", "rejected", "cancelled");
    assertThat(job.at("/properties/completedAt").toString()).contains("date-time");
    assertThat(job.at("/properties/links/$ref").asText()).isEqualTo("#/components/schemas/JobLinks");
    assertThat(schema("JobLinks").isObject()).isTrue();
    assertThat(schema("TenantInfo").at("/properties/limits/$ref").asText()).isEqualTo("#/components/schemas/Limits");
  }

  @Test
  void aRouteThatListsItsProblemTypesGetsExactlyThoseSchemasForThatStatus() {
    JsonNode responses = DOC.at("/paths/~1v1~1statements~1{month}/get/responses");
    assertThat(responses.at("/404/content/application~1problem+json/schema/oneOf/0/$ref").asText())
        .isEqualTo("#/components/schemas/NotFoundProblem");
    assertThat(responses.at("/404/content/application~1problem+json/schema/oneOf")).hasSize(1);
    assertThat(responses.at("/400/content/application~1problem+json/schema/oneOf")).extracting(n -> n.path("$ref")
        .asText()).containsExactly("#/components/schemas/InvalidMonthProblem",
            "#/components/schemas/InvalidRequestProblem");
    // what the gate answers is declared by tenant(…), every route's 500 by the builder
    assertThat(responses.at("/401/content/application~1problem+json/schema/oneOf")).extracting(n -> n.path("$ref")
        .asText()).contains("#/components/schemas/MissingApiKeyProblem", "#/components/schemas/ApiKeyRevokedProblem");
    assertThat(responses.at("/500/content/application~1problem+json/schema/oneOf/0/$ref").asText())
        .isEqualTo("#/components/schemas/InternalProblem");
    // a status declared without its types is any problem (IngressEndToEndTest asserts no served route has one)
    assertThat(DOC.at("/paths/~1v1~1legacy/get/responses/409/content/application~1problem+json/schema/$ref")
        .asText()).isEqualTo("#/components/schemas/Problem");
  }

  @Test
  void aProblemTypeListedUnderAnotherStatusOrUnknownIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Route.get("/v1/x").doc("x", "x").reply(400, "bad")
        .problems(400, "not-found")).hasMessageContaining("not-found is a 404, not a 400");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Route.get("/v1/y").doc("y", "y").reply(404, "none")
        .problems(404, "no-such-slug")).hasMessageContaining("no-such-slug is not in api.ProblemTypes");
  }

  @Test
  void thePriceBookDocumentIsOneSchemaForJsonAndYamlBodiesAndTheAnswer() {
    JsonNode op = DOC.path("paths").path("/admin/price-books/{version}").path("put");
    for (String media : List.of("application~1json", "application~1yaml")) {
      assertThat(op.at("/requestBody/content/" + media + "/schema/$ref").asText()).as(media)
          .isEqualTo("#/components/schemas/PriceBookDocument");
    }
    assertThat(op.at("/responses/200/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/PriceBookDocument");
    JsonNode book = schema("PriceBookDocument");
    assertThat(names(book.path("required"))).containsExactlyInAnyOrder("currency", "effectiveFrom", "plans");
    assertThat(book.at("/properties/plans/additionalProperties/$ref").asText())
        .isEqualTo("#/components/schemas/Plan");
    assertThat(book.path("additionalProperties").asBoolean(true)).as("unknown fields are refused").isFalse();
    JsonNode plan = schema("Plan");
    assertThat(names(plan.path("required"))).containsExactlyInAnyOrder("baseFeeMicros", "includedAnalyses",
        "perAnalysisMicros", "perThousandRowsMicros", "cacheHitMicros", "perUploadMicros", "perDownloadMicros");
    assertThat(plan.at("/properties/baseFeeMicros/type").asText()).as("integer micro-units").isEqualTo("integer");
    assertThat(plan.at("/properties/baseFeeMicros/description").asText()).contains("micro-units");
  }

  @Test
  void theDocumentDescribesItself() {
    assertThat(DOC.at("/paths/~1openapi.json/get/responses/200/content/application~1json/schema/$ref").asText())
        .isEqualTo("#/components/schemas/OpenApiDocument");
    assertThat(names(schema("OpenApiDocument").path("required"))).contains("openapi", "paths");
  }

  @Test
  void everyProblemTypeHasASchemaWithItsTypeUri() {
    assertThat(names(schema("Problem").path("required"))).containsExactly("type", "title", "status");
    for (ProblemTypes.Type t : ProblemTypes.ALL) {
      JsonNode s = schema(OpenApiDocument.problemSchemaName(t.slug()));
      assertThat(s.at("/properties/type/const").asText()).as(t.slug()).isEqualTo(t.uri());
      assertThat(s.at("/properties/status/const").asInt()).as(t.slug()).isEqualTo(t.status());
      assertThat(s.at("/allOf/0/$ref").asText()).isEqualTo("#/components/schemas/Problem");
    }
    assertThat(schema("NotFoundProblem").at("/properties/type/const").asText())
        .isEqualTo("https://storystream.dev/problems/not-found");
  }

  private static JsonNode resolve(JsonNode node) {
    String ref = node.path("$ref").asText("");
    return ref.isEmpty() ? node : schema(ref.substring(ref.lastIndexOf('/') + 1));
  }

  private static List<String> names(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

}
