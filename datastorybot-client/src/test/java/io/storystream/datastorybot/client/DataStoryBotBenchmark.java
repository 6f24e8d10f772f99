package io.storystream.datastorybot.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.datastorybot.standin.StandInConfig;
import io.storystream.datastorybot.standin.StandInServer;
import io.storystream.datastorybot.standin.analysis.Angle;
import io.storystream.datastorybot.standin.analysis.Column;
import io.storystream.datastorybot.standin.analysis.CsvTable;
import io.storystream.datastorybot.standin.analysis.Profiler;
import io.storystream.datastorybot.standin.analysis.Refinement;
import io.storystream.datastorybot.standin.analysis.StoryFinder;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Prints two figures, each next to a baseline measured in the same run:
 * <ol>
 *   <li>the stand-in's analysis of a generated 10 MB CSV (parse, profile, stories, narrative, charts, dataset)
 *       against a bare commons-csv parse of the same file;</li>
 *   <li>the client's time per job against a zero-latency stand-in against the same calls made with a bare
 *       HttpClient — the difference is the client's overhead.</li>
 * </ol>
 * Run: {@code mvn -B -o -pl datastorybot-client -am test -Dtest=DataStoryBotBenchmark -Dsurefire.excludedGroups=
 * -Dgroups=benchmark -Dsurefire.failIfNoSpecifiedTests=false}, then read
 * {@code datastorybot-client/target/benchmark.txt}; or run {@link #main} directly.
 */
@Tag("benchmark")
class DataStoryBotBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final StringBuilder report = new StringBuilder();

  @Test
  void benchmark() throws Exception {
    main(new String[0]);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("dsb-bench");
    try {
      analysis(dir);
      clientOverhead(dir);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Path out = Path.of("target", "benchmark.txt");
    if (Files.isDirectory(out.getParent())) {
      Files.writeString(out, report);
    }
  }

  private static void print(String line) {
    System.out.println(line);
    report.append(line).append('\n');
  }

  // --- 1. analysis of 10 MB ------------------------------------------------------------------------------------

  static void analysis(Path dir) throws IOException {
    Path csv = dir.resolve("sales-10mb.csv");
    generateSales(csv, 10L * 1024 * 1024);
    byte[] bytes = Files.readAllBytes(csv);
    int runs = 5;
    long[] parse = new long[runs];
    long[] full = new long[runs];
    long[] parseCpu = new long[runs];
    long[] fullCpu = new long[runs];
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int warm = 0; warm < 2; warm++) {
      bareParse(csv);
      fullAnalysis(bytes);
    }
    int stories = 0;
    for (int i = 0; i < runs; i++) {
      long c0 = threads.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      long rows = bareParse(csv);
      parse[i] = System.nanoTime() - t0;
      parseCpu[i] = threads.getCurrentThreadCpuTime() - c0;
      c0 = threads.getCurrentThreadCpuTime();
      t0 = System.nanoTime();
      stories = fullAnalysis(bytes);
      full[i] = System.nanoTime() - t0;
      fullCpu[i] = threads.getCurrentThreadCpuTime() - c0;
      if (rows <= 0) {
        throw new IllegalStateException("nothing parsed");
      }
    }
    double parseMs = median(parse) / 1e6;
    double fullMs = median(full) / 1e6;
    double parseCpuMs = median(parseCpu) / 1e6;
    double fullCpuMs = median(fullCpu) / 1e6;
    print(String.format(Locale.ROOT, "machine: %d cores, load average %.1f at start", Runtime.getRuntime()
        .availableProcessors(), java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
    print(String.format(Locale.ROOT, "stand-in analysis of a %.1f MB CSV (%s): median %.0f ms wall, %.0f ms CPU, over %d"
        + " runs (parse+profile+%d stories+narrative+charts+dataset)", bytes.length / 1048576.0, csv.getFileName(),
        fullMs, fullCpuMs, runs, stories));
    print(String.format(Locale.ROOT, "  baseline bare commons-csv parse of the same file: median %.0f ms wall, %.0f ms"
        + " CPU; ratio %.1fx wall, %.1fx CPU", parseMs, parseCpuMs, fullMs / parseMs, fullCpuMs / parseCpuMs));
  }

  private static long bareParse(Path csv) throws IOException {
    long n = 0;
    try (Reader reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
         CSVParser parser = CSVFormat.DEFAULT.parse(reader)) {
      for (CSVRecord record : parser) {
        n += record.size();
      }
    }
    return n;
  }

  private static int fullAnalysis(byte[] bytes) {
    try {
      CsvTable table = CsvTable.parse(bytes);
      List<Column> columns = Profiler.profile(table);
      StoryFinder finder = new StoryFinder("sales-10mb.csv", table, columns);
      List<Angle> stories = finder.stories("");
      Refinement refinement = Refinement.of("sales-10mb.csv", table, columns, stories.get(0), null);
      if (refinement.charts().isEmpty() || refinement.datasetRows() == 0) {
        throw new IllegalStateException("empty refinement");
      }
      return stories.size();
    } catch (io.storystream.datastorybot.standin.analysis.NotCsvException e) {
      throw new IllegalStateException(e);
    }
  }

  static void generateSales(Path file, long targetBytes) throws IOException {
    Random random = new Random(1);
    String[] regions = {"North", "South", "East", "West", "Central"};
    String[] products = {"Widget", "Gadget", "Doohickey", "Gizmo", "Thingamajig", "Whatsit"};
    StringBuilder sb = new StringBuilder("date,region,product,units,revenue,discount,notes\n");
    LocalDate start = LocalDate.of(2023, 1, 1);
    long written = 0;
    try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; written < targetBytes; i++) {
        int units = 1 + random.nextInt(40);
        double revenue = Math.round(units * (9.99 + random.nextInt(50)) * 100) / 100.0;
        sb.append(start.plusDays(i / 300)).append(',').append(regions[random.nextInt(regions.length)]).append(',')
            .append(products[random.nextInt(products.length)]).append(',').append(units).append(",\"")
            .append(String.format(Locale.ROOT, "%,.2f", revenue)).append("\",")
            .append(random.nextInt(30)).append(',').append(i % 50 == 0 ? "\"bulk, repeat\"" : "").append('\n');
        if (sb.length() > 1 << 16) {
          written += sb.length();
          out.append(sb);
          sb.setLength(0);
        }
      }
      out.append(sb);
    }
  }

  // --- 2. client overhead per job ------------------------------------------------------------------------------

  static void clientOverhead(Path dir) throws Exception {
    Path csv = dir.resolve("small.csv");
    StringBuilder text = new StringBuilder("date,region,revenue\n");
    Random random = new Random(5);
    for (int i = 0; i < 200; i++) {
      text.append(LocalDate.of(2025, 1, 1).plusDays(i)).append(',').append(new String[] {"N", "S", "E"}[i % 3])
          .append(',').append(100 + random.nextInt(900)).append('\n');
    }
    Files.writeString(csv, text);
    int warmup = 15;
    int jobs = 40;
    try (StandInServer standIn = StandInServer.start(StandInConfig.forTests());
         DataStoryBotClient client = new DataStoryBotClient(DataStoryBotConfig.defaults(standIn.baseUri(),
             ApiKeySource.none()))) {
      HttpClient bare = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      byte[] file = Files.readAllBytes(csv);
      for (int i = 0; i < warmup; i++) {
        client.analyze(new AnalysisJob("job_w" + i, "small.csv", csv, null, null)).join();
        bareJob(bare, standIn.baseUri(), file);
      }
      long[] viaClient = new long[jobs];
      long[] viaBare = new long[jobs];
      long clientCpu = 0;
      long bareCpu = 0;
      for (int i = 0; i < jobs; i++) {
        // alternate so drift (JIT, GC, the other helpers' load) hits both sides alike
        long c0 = processCpu();
        long t0 = System.nanoTime();
        client.analyze(new AnalysisJob("job_b" + i, "small.csv", csv, null, null)).join();
        viaClient[i] = System.nanoTime() - t0;
        clientCpu += processCpu() - c0;
        c0 = processCpu();
        t0 = System.nanoTime();
        bareJob(bare, standIn.baseUri(), file);
        viaBare[i] = System.nanoTime() - t0;
        bareCpu += processCpu() - c0;
      }
      double c = median(viaClient) / 1e6;
      double b = median(viaBare) / 1e6;
      double noise = (percentile(viaBare, 0.75) - percentile(viaBare, 0.25)) / 1e6;
      print(String.format(Locale.ROOT, "client job against a zero-latency stand-in: median %.1f ms over %d jobs "
          + "(upload, analyze, refine, charts and dataset downloads)", c, jobs));
      print(String.format(Locale.ROOT, "  baseline bare HttpClient, same calls: median %.1f ms; overhead %+.1f ms per job "
          + "(%+.1f%%), baseline interquartile range %.1f ms", b, c - b, (c - b) / b * 100, noise));
      double cc = clientCpu / 1e6 / jobs;
      double bc = bareCpu / 1e6 / jobs;
      print(String.format(Locale.ROOT, "  CPU per job (whole process, stand-in included): client %.1f ms, bare %.1f ms;"
          + " overhead %+.1f ms (%+.1f%%)", cc, bc, cc - bc, (cc - bc) / bc * 100));
    }
  }

  private static void bareJob(HttpClient http, URI base, byte[] file) throws Exception {
    String boundary = "bench";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"small.csv\"\r\n"
        + "Content-Type: text/csv\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    JsonNode upload = send(http, HttpRequest.newBuilder(base.resolve("/api/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArrays(List.of(head, file, tail))).build());
    String container = upload.get("containerId").asText();
    JsonNode stories = send(http, jsonPost(base, "/api/analyze", JSON.createObjectNode().put("containerId", container)
        .toString()));
    JsonNode refined = send(http, jsonPost(base, "/api/refine", JSON.createObjectNode().put("containerId", container)
        .put("selectedStoryTitle", stories.get("stories").get(0).get("title").asText()).toString()));
    List<String> files = new ArrayList<>();
    refined.get("charts").forEach(c -> files.add(c.get("fileId").asText()));
    files.add(refined.at("/resultDataset/fileId").asText());
    for (String fileId : files) {
      HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(base.resolve("/api/files/" + container + "/"
          + fileId)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("download failed " + response.statusCode());
      }
    }
  }

  private static HttpRequest jsonPost(URI base, String path, String body) {
    return HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  private static JsonNode send(HttpClient http, HttpRequest request) throws Exception {
    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(request.uri().getPath() + " answered " + response.statusCode());
    }
    return JSON.readTree(response.body());
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double median(long[] values) {
    return percentile(values, 0.5);
  }

  private static double percentile(long[] values, double q) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    double pos = q * (sorted.length - 1);
    int lower = (int) Math.floor(pos);
    int upper = Math.min(sorted.length - 1, lower + 1);
    return sorted[lower] + (pos - lower) * (sorted[upper] - sorted[lower]);
  }
}
