package io.storystream.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeysTest {
  private static final String HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  @Test
  void theFirstKeyWrapsAndEveryListedKeyUnwraps() {
    String base64 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(HEX.replace('0', 'f')));
    MasterKeys keys = MasterKeys.parse("mk_new=" + base64 + ", " + HEX);
    assertThat(keys.currentId()).isEqualTo("mk_new");
    String derived = MasterKeys.fingerprint(HexFormat.of().parseHex(HEX));
    assertThat(keys.ids()).containsExactly("mk_new", derived);
    assertThat(derived).matches("mk_[0-9a-f]{8}");
    assertThat(keys.byId(derived)).isPresent();
    assertThat(keys.toString()).doesNotContain(HEX).doesNotContain(base64);
  }

  @Test
  void aKeyThatIsNot32BytesIsRefused() {
    assertThatThrownBy(() -> MasterKeys.parse("mk_1=" + HEX.substring(2))).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> MasterKeys.parse(" , ")).hasMessageContaining("no master key");
  }

  @Test
  void withoutTheVariableTheDataFolderKeepsOneGeneratedKeyAcrossRestarts(@TempDir Path dir) throws Exception {
    MasterKeys first = MasterKeys.resolve(Map.of(), dir);
    MasterKeys again = MasterKeys.resolve(Map.of(), dir);
    assertThat(again.currentId()).isEqualTo(first.currentId());
    assertThat(Files.readString(dir.resolve(MasterKeys.DEFAULT_FILE)).trim()).hasSize(64);
    assertThat(MasterKeys.resolve(Map.of(MasterKeys.ENV, "mk_env=" + HEX), dir).currentId()).isEqualTo("mk_env");
  }

  @Test
  void aCiphertextOpensOnlyWithItsKeyAndAssociatedData() throws Exception {
    MasterKeys keys = MasterKeys.parse(HEX);
    byte[] sealed = Aead.encrypt(keys.current(), "prompt".getBytes(StandardCharsets.UTF_8),
        TenantKeyring.aad("acme", "dk_1"));
    assertThat(new String(Aead.decrypt(keys.current(), sealed, TenantKeyring.aad("acme", "dk_1")),
        StandardCharsets.UTF_8)).isEqualTo("prompt");
    assertThatThrownBy(() -> Aead.decrypt(keys.current(), sealed, TenantKeyring.aad("globex", "dk_1")))
        .isInstanceOf(GeneralSecurityException.class);
    MasterKeys other = MasterKeys.parse(HEX.replace('1', '7'));
    assertThatThrownBy(() -> Aead.decrypt(other.current(), sealed, TenantKeyring.aad("acme", "dk_1")))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void theThreadsCipherIsReusedSafelyAfterAFailureAndNeverRepeatsANonce() throws Exception {
    MasterKeys keys = MasterKeys.parse(HEX);
    byte[] aad = TenantKeyring.aad("acme", "dk_1");
    byte[] first = Aead.encrypt(keys.current(), "same".getBytes(StandardCharsets.UTF_8), aad);
    byte[] second = Aead.encrypt(keys.current(), "same".getBytes(StandardCharsets.UTF_8), aad);
    assertThat(second).as("a fresh nonce per message").isNotEqualTo(first);
    assertThatThrownBy(() -> Aead.decrypt(keys.current(), first, TenantKeyring.aad("globex", "dk_1")))
        .isInstanceOf(GeneralSecurityException.class);
    // the same thread's cipher, right after the failed open, opens and seals again
    assertThat(new String(Aead.decrypt(keys.current(), second, aad), StandardCharsets.UTF_8)).isEqualTo("same");
    byte[] third = Aead.encrypt(keys.current(), "next".getBytes(StandardCharsets.UTF_8), aad);
    assertThat(new String(Aead.decrypt(keys.current(), third, aad), StandardCharsets.UTF_8)).isEqualTo("next");
  }
}
