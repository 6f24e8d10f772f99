package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import io.storystream.testsupport.TestTools;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium) against the
 * whole system on its embedded default (broker, S3Proxy, stand-in, processor, billing aggregator, ingress): sign in
 * with the demo key, upload a sample under a hostile name, run an analysis with a hostile prompt, watch it complete
 * without a reload, read the rendered narrative, decode every chart, download the dataset, see the usage bar move
 * by one; then open an embed token narrowed to that job and find another job of the tenant refused. Every page is
 * photographed at desktop and phone width under {@code target/dashboard-screenshots/}.
 */
class DashboardBrowserTest {
  private static final String HOSTILE_NAME = "<img src=x onerror=alert(1)>.csv";
  private static final String HOSTILE_PROMPT = "churn by region <script>window.__pwned=1</script>";
  private static final Path SHOTS = Path.of("target", "dashboard-screenshots");
  private static final Dimension DESKTOP = new Dimension(1280, 900);
  private static final Dimension PHONE = new Dimension(390, 844);

  @TempDir Path home;

  @Test
  void aTenantWorksThroughTheDashboardAndAnEmbedTokenSeesOnlyItsJob() throws Exception {
    TestTools.require("chromium", "chromedriver");
    Files.createDirectories(SHOTS);
    FreePortSystem ports = FreePortSystem.pick();
    int port = ports.tenant();
    int adminPort = ports.operator();
    List<String> args = ports.args(home);
    try (ChildProcess system = ChildProcess.start("dashboard-system", args, Map.of())) {
      system.awaitLine("Press Ctrl-C", Duration.ofSeconds(180));
      String base = "http://127.0.0.1:" + port;
      String key = Files.readString(home.resolve("data/demo-api-key")).trim();
      Path sample = home.resolve("upload").resolve(HOSTILE_NAME);
      Files.createDirectories(sample.getParent());
      Files.copy(home.resolve("data/samples/saas_mrr.csv"), sample);
      Path downloads = Files.createDirectories(home.resolve("downloads"));

      WebDriver browser = chromium(downloads);
      try {
        String jobId = signInUploadAndAnalyse(browser, base, key, sample, downloads);
        reRatingShowsInTheRevisionHistory(browser, base, "http://127.0.0.1:" + adminPort,
            Files.readString(home.resolve("data/operator-token")).trim());
        embedView(browser, base, key, jobId);
      } finally {
        browser.quit();
      }
    }
  }

  private String signInUploadAndAnalyse(WebDriver browser, String base, String key, Path sample, Path downloads)
      throws Exception {
    WebDriverWait wait = waiting(browser, 30);
    browser.get(base + "/");
    wait.until(d -> d.findElement(By.id("api-key")).isDisplayed());
    shoot(browser, "sign-in");
    browser.findElement(By.id("api-key")).sendKeys(key);
    browser.findElement(By.cssSelector("form button[type=submit]")).click();
    wait.until(d -> heading(d).equals("Files"));
    assertThat((String) js(browser, "return sessionStorage.getItem('storystream.key')")).isEqualTo(key);
    assertThat(browser.getCurrentUrl()).doesNotContain(key);

    browser.get(base + "/#/usage");
    long usageBefore = usageAnalyses(browser, wait);

    // upload under a name that is markup: it must show as text
    browser.get(base + "/#/files");
    wait.until(d -> heading(d).equals("Files"));
    browser.findElement(By.id("file-input")).sendKeys(sample.toAbsolutePath().toString());
    WebElement fileName = wait.until(d -> d.findElements(By.cssSelector("#file-list td.file-name")).stream()
        .filter(td -> td.getText().equals(HOSTILE_NAME)).findFirst().orElse(null));
    assertThat(fileName.getText()).isEqualTo(HOSTILE_NAME);
    assertThat(browser.findElements(By.cssSelector("main img"))).as("the name made no image").isEmpty();
    assertThat((Object) js(browser, "return document.getElementById('upload-progress').value")).isEqualTo(100L);
    noAlert(browser);
    shoot(browser, "files");

    // analysis with a prompt that is markup
    browser.get(base + "/#/new");
    wait.until(d -> !d.findElements(By.cssSelector("#analysis-file option")).isEmpty());
    new Select(browser.findElement(By.id("analysis-file"))).selectByVisibleText(HOSTILE_NAME);
    browser.findElement(By.id("steering")).sendKeys(HOSTILE_PROMPT);
    shoot(browser, "new-analysis");
    js(browser, "window.__sameDocument = true");
    browser.findElement(By.id("submit-analysis")).click();
    wait.until(d -> d.getCurrentUrl().contains("#/job/job_"));
    String jobId = browser.getCurrentUrl().replaceAll(".*#/job/", "");
    waiting(browser, 240).until(d ->
        !d.findElements(By.cssSelector("#job-state [data-state=completed]")).isEmpty());
    assertThat((Object) js(browser, "return window.__sameDocument === true"))
        .as("completed without a reload").isEqualTo(true);

    assertThat(browser.findElement(By.id("steering-shown")).getText()).isEqualTo(HOSTILE_PROMPT);
    assertThat((Object) js(browser, "return document.querySelectorAll('main script').length")).isEqualTo(0L);
    assertThat((Object) js(browser, "return typeof window.__pwned")).isEqualTo("undefined");

    WebElement narrative = wait.until(d -> d.findElement(By.id("narrative")));
    assertThat(narrative.getText()).isNotBlank();
    assertThat(narrative.findElements(By.cssSelector("h2, h3, p, li, table"))).as("markdown became elements").isNotEmpty();
    assertThat(narrative.getText()).doesNotContain("**", "##");
    assertThat(browser.findElements(By.cssSelector("#stories li"))).hasSize(3);
    assertThat(browser.findElements(By.cssSelector("#stories li.chosen"))).as("one story is the chosen one").hasSize(1);

    int charts = browser.findElements(By.cssSelector("#charts img")).size();
    assertThat(charts).as("charts shown").isPositive();
    wait.until(d -> Boolean.TRUE.equals(js(d, "return [...document.querySelectorAll('#charts img')]"
        + ".every(i => i.complete && i.naturalWidth > 0)")));

    browser.findElement(By.id("download-dataset")).click();
    Path dataset = waiting(browser, 30).until(d -> downloaded(downloads));
    assertThat(dataset.getFileName().toString()).isEqualTo(jobId + "-dataset.csv");
    assertThat(Files.readString(dataset)).contains(",").contains("\n");
    shoot(browser, "result");
    browser.manage().window().setSize(PHONE);
    assertThat((Object) js(browser, "return document.documentElement.scrollWidth <= window.innerWidth"))
        .as("the result fits a phone's width").isEqualTo(true);
    browser.manage().window().setSize(DESKTOP);

    // the usage bar moves by one (billing counts the analysis a moment after it completes)
    long usageAfter = usageBefore;
    for (int attempt = 0; attempt < 30 && usageAfter < usageBefore + 1; attempt++) {
      browser.get(base + "/#/jobs");
      wait.until(d -> heading(d).equals("Jobs"));
      browser.get(base + "/#/usage");
      usageAfter = usageAnalyses(browser, wait);
      if (usageAfter < usageBefore + 1) {
        Thread.sleep(2000); // paces the re-reads; the loop ends on the count, not the time
      }
    }
    assertThat(usageAfter).isEqualTo(usageBefore + 1);
    shoot(browser, "usage");

    browser.get(base + "/#/jobs");
    wait.until(d -> !d.findElements(By.cssSelector("tr[data-job-id='" + jobId + "']")).isEmpty());
    assertThat(browser.findElement(By.cssSelector("tr[data-job-id='" + jobId + "']")).getText()).contains("completed");
    shoot(browser, "jobs");

    browser.get(base + "/#/statements");
    wait.until(d -> !d.findElement(By.id("statement")).getText().isBlank());
    shoot(browser, "statements");
    return jobId;
  }

  /**
   * The operator publishes a price book that doubles every price from this month on; the statements page then
   * lists the re-rated revision on top of the one before, with the old → new total and the changed lines.
   */
  private void reRatingShowsInTheRevisionHistory(WebDriver browser, String base, String admin, String operatorToken)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    WebDriverWait wait = waiting(browser, 30);
    WebElement first = newestRevisionOnceItShows(browser, base, newest -> true);
    int before = Integer.parseInt(first.getDomAttribute("data-revision"));
    String totalBefore = browser.findElement(By.id("statement-total")).getText();

    HttpResponse<String> current = http.send(HttpRequest.newBuilder(URI.create(admin + "/admin/price-books/current"))
        .header("Authorization", "Bearer " + operatorToken).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(current.statusCode()).as(current.body()).isEqualTo(200);
    var doc = (com.fasterxml.jackson.databind.node.ObjectNode) JsonMapper.shared().readTree(current.body());
    int version = doc.path("version").asInt() + 1;
    doc.put("version", version);
    doc.put("effectiveFrom", java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString());
    doc.remove("effectiveTo");
    doc.path("plans").forEach(plan -> {
      var prices = (com.fasterxml.jackson.databind.node.ObjectNode) plan;
      List<String> fields = new java.util.ArrayList<>();
      prices.fieldNames().forEachRemaining(fields::add);
      fields.stream().filter(f -> f.endsWith("Micros")).forEach(f -> prices.put(f, prices.path(f).asLong() * 2));
    });
    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(admin + "/admin/price-books/" + version))
        .header("Authorization", "Bearer " + operatorToken).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(doc.toString())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    JsonNode reRated = JsonMapper.shared().readTree(put.body()).path("reRated");
    JsonNode demo = java.util.stream.StreamSupport.stream(reRated.spliterator(), false)
        .filter(r -> r.path("tenantId").asText().equals("demo")).findFirst().orElseThrow();
    long oldTotal = demo.path("currentTotalMicros").asLong();
    long newTotal = demo.path("newTotalMicros").asLong();
    assertThat(newTotal).isEqualTo(2 * oldTotal);

    // the aggregator issues the re-rated revision on its next tick: re-read the page until it is listed
    newestRevisionOnceItShows(browser, base, newest -> newest.getText().contains("price book " + version));
    List<WebElement> revisions = browser.findElements(By.cssSelector("#revision-history li[data-revision]"));
    assertThat(revisions).hasSizeGreaterThanOrEqualTo(2);
    WebElement newest = revisions.get(0);
    assertThat(Integer.parseInt(newest.getDomAttribute("data-revision"))).isGreaterThan(before);
    assertThat(Integer.parseInt(revisions.get(1).getDomAttribute("data-revision")))
        .isEqualTo(Integer.parseInt(newest.getDomAttribute("data-revision")) - 1);
    assertThat(revisions.get(1).getText()).contains("price book " + (version - 1));
    String totalNow = browser.findElement(By.id("statement-total")).getText();
    assertThat(totalNow).isNotEqualTo(totalBefore);
    String diff = newest.findElement(By.cssSelector(".revision-diff")).getText();
    assertThat(diff).as("old → new (+difference)").endsWith(")").contains(" → " + totalNow + " (+")
        .doesNotStartWith(totalNow);
    // the changed lines open from the keyboard (a summary element takes focus and Enter)
    WebElement summary = newest.findElement(By.cssSelector("details summary"));
    assertThat(summary.getText()).contains("changed from revision");
    summary.sendKeys(org.openqa.selenium.Keys.ENTER);
    wait.until(d -> newest.findElement(By.cssSelector("details")).getDomProperty("open").equals("true"));
    assertThat(newest.findElement(By.cssSelector("details table")).getText()).contains("→");
    shoot(browser, "statement-revisions");
  }

  /**
   * Opens the statements page until its revision history's newest entry satisfies the condition (the statement and
   * its revisions are issued a moment after the usage or the price book); fails after 30 readings.
   */
  private static WebElement newestRevisionOnceItShows(WebDriver browser, String base,
                                                      java.util.function.Predicate<WebElement> condition)
      throws InterruptedException {
    WebDriverWait wait = waiting(browser, 30);
    for (int attempt = 0; attempt < 30; attempt++) {
      browser.get(base + "/#/usage");
      wait.until(d -> heading(d).equals("Usage"));
      browser.get(base + "/#/statements");
      wait.until(d -> !d.findElements(By.cssSelector("#revision-history li[data-revision]")).isEmpty()
          || d.findElement(By.id("statement")).getText().startsWith("No statement"));
      List<WebElement> shown = browser.findElements(By.cssSelector("#revision-history li[data-revision]"));
      if (!shown.isEmpty() && condition.test(shown.get(0))) {
        return shown.get(0);
      }
      Thread.sleep(1000); // paces the re-reads; the loop ends on what the page shows, not the time
    }
    throw new AssertionError("the statements page never showed the expected newest revision");
  }

  private void embedView(WebDriver browser, String base, String key, String jobId) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String other = post(http, base + "/v1/analyses", key, "{\"fileId\":\"" + fileIdOf(http, base, key)
        + "\",\"steeringPrompt\":\"another job of the same tenant\"}").path("jobId").asText();
    JsonNode minted = post(http, base + "/v1/embed-tokens", key,
        "{\"scopes\":[\"results:read\",\"usage:read\"],\"ttlSeconds\":600,\"jobIds\":[\"" + jobId + "\"]}");
    String token = minted.path("token").asText();

    browser.findElement(By.id("sign-out")).click();
    js(browser, "sessionStorage.clear()");
    browser.get(base + "/embed/demo#token=" + token);
    WebDriverWait wait = waiting(browser, 30);
    wait.until(d -> !d.findElements(By.cssSelector("#job-state [data-state=completed]")).isEmpty());
    assertThat(browser.getCurrentUrl()).as("the token left the address bar").doesNotContain(token);
    assertThat(browser.findElement(By.id("nav")).getText()).contains("Jobs", "Usage").doesNotContain("Files");
    wait.until(d -> Boolean.TRUE.equals(js(d, "const i = [...document.querySelectorAll('#charts img')];"
        + " return i.length > 0 && i.every(x => x.complete && x.naturalWidth > 0)")));
    shoot(browser, "embed-job");

    browser.get(base + "/embed/demo#/job/" + other);
    wait.until(d -> d.findElement(By.id("main")).getText().contains("No such analysis."));
    shoot(browser, "embed-refused");
    browser.get(base + "/embed/demo#/jobs");
    wait.until(d -> !d.findElements(By.cssSelector("tr[data-job-id]")).isEmpty());
    assertThat(browser.findElements(By.cssSelector("tr[data-job-id]")))
        .extracting(row -> row.getDomAttribute("data-job-id")).containsExactly(jobId);
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  private static WebDriver chromium(Path downloads) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900", "--lang=en-US");
    options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toAbsolutePath().toString(),
        "download.prompt_for_download", false));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /** A wait that also retries when the app re-rendered the element it was reading (a stale reference). */
  private static WebDriverWait waiting(WebDriver browser, int seconds) {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds));
    wait.ignoring(StaleElementReferenceException.class);
    return wait;
  }

  private static Object js(WebDriver browser, String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  private static String heading(WebDriver d) {
    Object text = js(d, "const h = document.querySelector('main h1'); return h ? h.textContent : ''");
    return String.valueOf(text);
  }

  private static long usageAnalyses(WebDriver browser, WebDriverWait wait) {
    return Long.parseLong(wait.until(d -> d.findElement(By.id("usage-analyses")).getDomAttribute("data-value")));
  }

  private static void noAlert(WebDriver browser) {
    try {
      browser.switchTo().alert();
      throw new AssertionError("an alert opened: markup in a file name ran");
    } catch (NoAlertPresentException expected) {
      // nothing ran
    }
  }

  private static Path downloaded(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".csv")).findFirst().orElse(null);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** Saves the page at desktop and at phone width (the layout must hold at both), then restores desktop. */
  private static void shoot(WebDriver browser, String name) throws Exception {
    for (var size : List.of(Map.entry("desktop", DESKTOP), Map.entry("phone", PHONE))) {
      browser.manage().window().setSize(size.getValue());
      js(browser, "window.scrollTo(0, 0)");
      Thread.sleep(200); // one layout pass after the resize, for the picture only; no assertion depends on it
      File shot = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
      Files.copy(shot.toPath(), SHOTS.resolve(name + "-" + size.getKey() + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
    browser.manage().window().setSize(DESKTOP);
  }

  private static String fileIdOf(HttpClient http, String base, String key) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/files"))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    return JsonMapper.shared().readTree(r.body()).path("files").path(0).path("id").asText();
  }

  private static JsonNode post(HttpClient http, String url, String key, String json) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s: %s", url, r.body()).isBetween(200, 299);
    return JsonMapper.shared().readTree(r.body());
  }
}
