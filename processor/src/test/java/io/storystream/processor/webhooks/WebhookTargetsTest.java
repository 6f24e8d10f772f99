package io.storystream.processor.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.common.webhooks.WebhookTargets;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which webhook targets are refused, with DNS played by a map (so the test needs no network). */
class WebhookTargetsTest {
  private static final Map<String, String> DNS = Map.ofEntries(
      Map.entry("public.test", "93.184.216.34"),
      Map.entry("loopback.test", "127.0.0.1"),
      Map.entry("private10.test", "10.1.2.3"),
      Map.entry("private172.test", "172.16.5.4"),
      Map.entry("private192.test", "192.168.1.1"),
      Map.entry("metadata.test", "169.254.169.254"),
      Map.entry("cgnat.test", "100.64.0.1"),
      Map.entry("zero.test", "0.0.0.0"),
      Map.entry("v6loop.test", "::1"),
      Map.entry("v6ula.test", "fd00::1"),
      Map.entry("v6link.test", "fe80::1"),
      Map.entry("v6mapped.test", "::ffff:10.0.0.1"),
      Map.entry("v6public.test", "2606:2800:220:1:248:1893:25c8:1946"));

  private static InetAddress[] resolve(String host) throws UnknownHostException {
    String address = DNS.get(host);
    if (address == null) {
      throw new UnknownHostException(host);
    }
    return new InetAddress[] {InetAddress.getByName(address)};
  }

  private final WebhookTargets strict = new WebhookTargets(false, WebhookTargetsTest::resolve);
  private final WebhookTargets lenient = new WebhookTargets(true, WebhookTargetsTest::resolve);

  @Test
  void publicHttpsTargetsAreAccepted() throws Exception {
    assertThat(strict.check("https://public.test/hooks").getHost()).isEqualTo("public.test");
    assertThat(strict.check("https://v6public.test:8443/x").getPort()).isEqualTo(8443);
  }

  @Test
  void privateLoopbackLinkLocalAndOtherInternalRangesAreRefused() {
    for (String host : new String[] {"loopback.test", "private10.test", "private172.test", "private192.test",
        "metadata.test", "cgnat.test", "zero.test", "v6loop.test", "v6ula.test", "v6link.test", "v6mapped.test"}) {
      assertThatThrownBy(() -> strict.check("https://" + host + "/x")).as(host)
          .isInstanceOf(WebhookTargets.Refused.class)
          .satisfies(e -> assertThat(((WebhookTargets.Refused) e).reason()).isEqualTo("private_target"));
    }
    assertThatThrownBy(() -> strict.check("https://127.0.0.1/x")).isInstanceOf(WebhookTargets.Refused.class);
  }

  @Test
  void plainHttpIsRefusedAndOnlyTheSwitchAllowsItAndPrivateTargets() throws Exception {
    assertThatThrownBy(() -> strict.check("http://public.test/x"))
        .satisfies(e -> assertThat(((WebhookTargets.Refused) e).reason()).isEqualTo("insecure_url"));
    assertThat(lenient.check("http://127.0.0.1:9000/x").getPort()).isEqualTo(9000);
    assertThat(lenient.check("http://loopback.test/x")).isNotNull();
  }

  @Test
  void malformedOrUnresolvableUrlsAreRefused() {
    for (String url : new String[] {"ftp://public.test/x", "https:///nohost", "not a url", "https://u:p@public.test/",
        "https://public.test/#frag"}) {
      assertThatThrownBy(() -> strict.check(url)).as(url)
          .satisfies(e -> assertThat(((WebhookTargets.Refused) e).reason()).isEqualTo("invalid_url"));
    }
    assertThatThrownBy(() -> strict.check("https://nowhere.test/x"))
        .satisfies(e -> assertThat(((WebhookTargets.Refused) e).reason()).isEqualTo("unresolvable_host"));
  }
}
