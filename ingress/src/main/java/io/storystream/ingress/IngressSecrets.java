package io.storystream.ingress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.storystream.common.config.Secrets;
import java.util.HexFormat;

/**
 * The operator token and the key pepper when they are not given: read from the data folder, or generated once and
 * written there readable by the owner only, so a restart (and the embedded default's other services) see the same.
 */
public final class IngressSecrets {
  public static final String OPERATOR_TOKEN_FILE = "operator-token";
  public static final String PEPPER_FILE = "pepper";
  public static final String BILLING_TOKEN_FILE = "billing-token";

  private IngressSecrets() {}

  public static String operatorToken(String given, Path dataDir) throws IOException {
    if (given != null && !given.isBlank()) {
      return given.trim();
    }
    return readOrCreate(dataDir.resolve(OPERATOR_TOKEN_FILE), "sso_");
  }

  /** The pepper as bytes: given text (hex when it looks like hex), a file's content, or a generated one. */
  public static byte[] pepper(String given, Path file, Path dataDir) throws IOException {
    String text;
    if (given != null && !given.isBlank()) {
      text = given.trim();
    } else if (file != null) {
      text = Files.readString(file).trim();
    } else {
      text = readOrCreate(dataDir.resolve(PEPPER_FILE), "");
    }
    if (text.matches("([0-9a-fA-F]{2}){16,}")) {
      return HexFormat.of().parseHex(text);
    }
    if (text.length() < 16) {
      throw new IllegalArgumentException("the pepper must have at least 16 characters");
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String readOrCreate(Path file, String prefix) throws IOException {
    return Secrets.readOrCreate(file, prefix);
  }

  /** The token the ingress presents to the billing read API: given, or kept in {@code <data>/billing-token}. */
  public static String billingToken(String given, Path dataDir) throws IOException {
    return Secrets.givenOrStored(given, dataDir.resolve(BILLING_TOKEN_FILE), "ssb_");
  }
}
