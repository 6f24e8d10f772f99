package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads hold a thread, an S3 connection and a buffer for as long as the client takes: each tenant gets a bounded
 * number at once, a stalled or trickling body is cut off, and every multipart part is bounded. Real HTTP, broker, S3.
 */
class TransferLimitsTest {
  @TempDir static Path dir;
  static IngressStack stack;

  @BeforeAll
  static void start() throws Exception {
    stack = new IngressStack(dir);
    stack.startInstance();
  }

  @AfterAll
  static void stop() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  /** An upload sent by hand over a socket, so the test decides how fast its body arrives. */
  static final class RawUpload implements AutoCloseable {
    final Socket socket;
    final OutputStream out;

    RawUpload(String key, long contentLength) throws IOException {
      socket = new Socket("127.0.0.1", stack.ingress().ingressPort());
      socket.setSoTimeout(120_000);
      out = socket.getOutputStream();
      out.write(("POST /v1/files?name=slow.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
          + "\r\nContent-Type: text/csv\r\nContent-Length: " + contentLength + "\r\n\r\na,b\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    /** Sends rows of 1 KB; false once the server has closed the connection. */
    boolean send(int kilobytes) {
      try {
        byte[] row = ("1," + "x".repeat(1021) + "\n").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < kilobytes; i++) {
          out.write(row);
        }
        out.flush();
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    /** The status line the server answered with, or "closed" when it dropped the connection without one. */
    String answer() {
      try {
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
          line.append((char) c);
        }
        return line.length() == 0 ? "closed" : line.toString().trim();
      } catch (SocketException reset) {
        return "closed";
      } catch (IOException e) {
        return "error " + e;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void eachTenantHoldsABoundedNumberOfUploadsAtOnce() throws Exception {
    String key = stack.tenantWithKey("uploader", "pro");
    String other = stack.tenantWithKey("bystander", "pro");
    List<RawUpload> held = new ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean feeding = new java.util.concurrent.atomic.AtomicBoolean(true);
    // two uploads kept alive at 32 KB/s (above the minimum rate) for as long as the test looks at them
    Thread feeder = new Thread(() -> {
      while (feeding.get()) {
        held.forEach(u -> u.send(32));
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000_000L);
      }
    });
    try {
      for (int i = 0; i < 2; i++) {
        RawUpload upload = new RawUpload(key, 8L * 1024 * 1024);
        assertThat(upload.send(64)).isTrue();
        held.add(upload);
      }
      feeder.start();
      // the server reads both bodies (each has its slot) before the third one is asked for
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        IngressStack.Reply third = stack.uploadCsv(key, "third.csv", "a,b\n1,2\n");
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.problemType()).endsWith("/too-many-transfers");
      });
      // another tenant is not affected by the first one's transfers
      assertThat(stack.uploadCsv(other, "mine.csv", "a,b\n1,2\n").status()).isEqualTo(201);
    } finally {
      feeding.set(false);
      feeder.join();
      for (RawUpload upload : held) {
        upload.close();
      }
    }
    // the slots come back when the held uploads end
    await().atMost(Duration.ofSeconds(60))
        .until(() -> stack.uploadCsv(key, "after.csv", "a,b\n1,2\n").status() == 201);
  }

  @Test
  void eachTenantHoldsABoundedNumberOfDownloadsAtOnce() throws Exception {
    String key = stack.tenantWithKey("reader", "pro");
    String fileId = stack.uploadCsv(key, "d.csv", "a,b\n1,2\n").json().path("id").asText();
    IngressStack.Reply submitted = stack.postJson(key, "/v1/analyses", "{\"fileId\":\"" + fileId + "\"}");
    assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
    String jobId = submitted.json().path("jobId").asText();
    String prefix = stack.fakeProcessorComplete("reader", jobId, fileId);
    // a dataset far larger than the socket buffers, so a client that does not read keeps the response unfinished
    // (random, so that response compression cannot shrink it)
    byte[] big = new byte[32 * 1024 * 1024];
    new java.util.Random(14).nextBytes(big);
    stack.blobs.put(prefix + "dataset.csv", big, "text/csv");
    await().atMost(Duration.ofSeconds(30)).until(() ->
        stack.get(key, "/v1/analyses/" + jobId).json().path("state").asText().equals("completed"));
    List<Socket> readers = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Socket socket = new Socket("127.0.0.1", stack.ingress().ingressPort());
        socket.setReceiveBufferSize(4096);
        socket.getOutputStream().write(("GET /v1/analyses/" + jobId + "/dataset HTTP/1.1\r\nHost: x\r\n"
            + "Authorization: Bearer " + key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        readers.add(socket); // never read: the download stalls with its slot held
      }
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        IngressStack.Reply fifth = stack.get(key, "/v1/analyses/" + jobId + "/dataset");
        assertThat(fifth.status()).isEqualTo(429);
        assertThat(fifth.problemType()).endsWith("/too-many-transfers");
      });
      // small reads of the same tenant are not transfers
      assertThat(stack.get(key, "/v1/analyses/" + jobId).status()).isEqualTo(200);
    } finally {
      for (Socket socket : readers) {
        socket.close();
      }
    }
    // the stalled downloads end (the peer is gone) and give their slots back
    await().atMost(Duration.ofSeconds(90)).until(() -> {
      IngressStack.Reply again = stack.get(key, "/v1/analyses/" + jobId + "/dataset");
      return again.status() == 200 && again.body().length == big.length;
    });
  }

  @Test
  void aTricklingUploadIsCutOffAndGivesItsSlotBack() throws Exception {
    String key = stack.tenantWithKey("trickler", "pro");
    long started = System.nanoTime();
    String answer;
    try (RawUpload slow = new RawUpload(key, 4L * 1024 * 1024)) {
      // 1 KB every 500 ms: 2 KB/s, far below the 16 KiB/s minimum (checked once 5 s have passed)
      int sent = 0;
      while (sent < 240 && slow.send(1)) {
        sent++;
        TimeUnit.MILLISECONDS.sleep(500); // the pace of the slow client under test
      }
      answer = slow.answer();
    }
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    assertThat(answer).as("after %d s", seconds).satisfiesAnyOf(
        a -> assertThat(a).contains(" 408"), a -> assertThat(a).isEqualTo("closed"));
    assertThat(seconds).as("cut off long before the 120 s the client would have taken").isLessThan(100);
    // nothing was registered and the tenant's slots are free again
    assertThat(stack.get(key, "/v1/files").json().path("files").size()).isZero();
    assertThat(stack.uploadCsv(key, "ok.csv", "a,b\n1,2\n").status()).isEqualTo(201);
  }

  @Test
  void everyMultipartPartIsBounded() {
    String key = stack.tenantWithKey("parts", "pro");
    String boundary = "----limits-boundary";
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 9; i++) {
      many.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"f").append(i)
          .append("\"\r\n\r\nv\r\n");
    }
    many.append("--").append(boundary).append("--\r\n");
    IngressStack.Reply tooMany = multipart(key, boundary, many.toString());
    assertThat(tooMany.status()).isEqualTo(413);
    assertThat(tooMany.problemType()).endsWith("/too-many-parts");

    String bigField = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
        + "n".repeat(70_000) + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; "
        + "filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--" + boundary + "--\r\n";
    IngressStack.Reply tooBig = multipart(key, boundary, bigField);
    assertThat(tooBig.status()).isEqualTo(413);
    assertThat(tooBig.problemType()).endsWith("/part-too-large");

    String smallField = bigField.replace("n".repeat(70_000), "a short note");
    assertThat(multipart(key, boundary, smallField).status()).isEqualTo(201);
    assertThat(stack.get(key, "/v1/files").json().path("files").size()).isEqualTo(1);
    // finished uploads give their slots back: more sequential uploads than the tenant's bound all go through
    for (int i = 0; i < 4; i++) {
      assertThat(stack.uploadCsv(key, "seq-" + i + ".csv", "a,b\n1,2\n").status()).isEqualTo(201);
    }
  }

  private static IngressStack.Reply multipart(String key, String boundary, String body) {
    return stack.send(stack.tenant(stack.ingress(), key, "POST", "/v1/files",
        HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "multipart/form-data; boundary=" + boundary));
  }
}
