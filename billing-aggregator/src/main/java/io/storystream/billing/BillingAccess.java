package io.storystream.billing;

import io.storystream.common.config.Secrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * Who may read the billing API: the ingress relay, with the billing token, and the operator, with the operator token.
 * Anyone else gets 401. With neither token the API refuses every call: it is never open by default.
 *
 * @param billingToken the token the ingress relay presents (STORYSTREAM_BILLING_TOKEN); null: none accepted
 * @param operatorToken the operator token (STORYSTREAM_OPERATOR_TOKEN); null: none accepted
 */
public record BillingAccess(String billingToken, String operatorToken) {
  public static final String BILLING_TOKEN_FILE = "billing-token";
  public static final String OPERATOR_TOKEN_FILE = "operator-token";

  /** Nobody: every call is refused. */
  public static BillingAccess none() {
    return new BillingAccess(null, null);
  }

  /**
   * The given tokens, or the ones kept in the data folder: {@code billing-token} is created when missing (an ingress
   * sharing the folder reads the same file), {@code operator-token} is read when present.
   */
  public static BillingAccess givenOrStored(String billingToken, String operatorToken, Path dataDir)
      throws IOException {
    String billing = Secrets.givenOrStored(billingToken, dataDir.resolve(BILLING_TOKEN_FILE), "ssb_");
    String operator = operatorToken;
    Path operatorFile = dataDir.resolve(OPERATOR_TOKEN_FILE);
    if ((operator == null || operator.isBlank()) && Files.exists(operatorFile)) {
      operator = Files.readString(operatorFile).trim();
    }
    return new BillingAccess(billing, operator == null || operator.isBlank() ? null : operator.trim());
  }

  /** True when the {@code Authorization} header carries one of the accepted tokens (compared in constant time). */
  public boolean accepts(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (String token : new String[] {billingToken, operatorToken}) {
      if (token != null && !token.isEmpty()) {
        ok |= MessageDigest.isEqual(presented, token.getBytes(StandardCharsets.UTF_8));
      }
    }
    return ok;
  }

  @Override
  public String toString() {
    return "BillingAccess[billingToken=" + (billingToken == null ? "none" : "set") + ", operatorToken="
        + (operatorToken == null ? "none" : "set") + "]";
  }
}
