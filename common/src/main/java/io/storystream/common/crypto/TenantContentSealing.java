package io.storystream.common.crypto;

import io.storystream.schemas.AnalysisRequest;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.AuditEvent;
import io.storystream.schemas.DeadLetter;
import io.storystream.schemas.FileRegistered;
import io.storystream.schemas.WebhookSubscription;
import io.storystream.schemas.serde.RecordSealing;
import io.storystream.schemas.topics.TenantKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.SecretKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which fields of which records are tenant content, and how they are sealed: prompts (requests and work), file
 * names and column names (file records and work), audit resource names, webhook endpoints and their signing
 * secrets, and dead-lettered record bodies and their error text. Everything else (ids, states, counts, times) stays readable, because routing, quotas, billing and
 * compaction need it and it says nothing about the tenant's data.
 *
 * <p>A sealed string is {@code ssk1:<dataKeyId>:<base64 of nonce, ciphertext and tag>}; sealed bytes are the
 * magic {@code SSK1}, the key id's length and the key id, then the same. The associated data is the tenant id and the
 * key id, so a ciphertext cannot be replayed under another tenant. A value without the prefix was written before
 * sealing existed and is read as it is.
 *
 * <p>An erased tenant's content reads as erased: an optional field as null, a required name as
 * {@value #ERASED} (a webhook's URL and secret too: such a subscription is ignored), column names as none, a dead letter's body as null — never an error, so nothing downstream
 * dead-letters or crashes on it. Content of an erased tenant that is still being written is written as erased.
 */
public final class TenantContentSealing implements RecordSealing {
  private static final Logger log = LoggerFactory.getLogger(TenantContentSealing.class);
  public static final String ERASED = "(erased)";
  static final String PREFIX = "ssk1:";
  private static final byte[] MAGIC = "SSK1".getBytes(StandardCharsets.US_ASCII);

  private final TenantKeyring keyring;

  public TenantContentSealing(TenantKeyring keyring) {
    this.keyring = keyring;
  }

  @Override
  public Object seal(String topic, Object record) {
    if (record instanceof AnalysisRequest r) {
      if (r.getSteeringPrompt() == null && r.getRefinementPrompt() == null) {
        return r;
      }
      Sealer s = sealer(r.getTenantId());
      return AnalysisRequest.newBuilder(r).setSteeringPrompt(s.optional(r.getSteeringPrompt()))
          .setRefinementPrompt(s.optional(r.getRefinementPrompt())).build();
    }
    if (record instanceof AnalysisWork w) {
      Sealer s = sealer(w.getTenantId());
      return AnalysisWork.newBuilder(w).setFileName(s.required(w.getFileName()))
          .setSteeringPrompt(s.optional(w.getSteeringPrompt()))
          .setRefinementPrompt(s.optional(w.getRefinementPrompt())).build();
    }
    if (record instanceof FileRegistered f) {
      Sealer s = sealer(f.getTenantId());
      return FileRegistered.newBuilder(f).setName(s.required(f.getName()))
          .setColumnNames(s.list(f.getColumnNames())).build();
    }
    if (record instanceof AuditEvent a) {
      if (a.getResourceId() == null) {
        return a;
      }
      return AuditEvent.newBuilder(a).setResourceId(sealer(a.getTenantId()).optional(a.getResourceId())).build();
    }
    if (record instanceof WebhookSubscription w) {
      Sealer s = sealer(w.getTenantId());
      return WebhookSubscription.newBuilder(w).setUrl(s.required(w.getUrl())).setSecret(s.required(w.getSecret()))
          .build();
    }
    if (record instanceof DeadLetter d) {
      String tenantId = tenantOfKey(d.getKey());
      if (tenantId == null || (d.getValue() == null && d.getErrorMessage() == null)) {
        return d; // a record that cannot be attributed to a tenant is kept as it was
      }
      Sealer s = sealer(tenantId);
      return DeadLetter.newBuilder(d).setValue(s.bytes(d.getValue()))
          .setErrorMessage(s.optional(d.getErrorMessage())).build();
    }
    return record;
  }

  @Override
  public Object open(String topic, Object record) {
    if (record instanceof AnalysisRequest r) {
      if (!sealed(r.getSteeringPrompt()) && !sealed(r.getRefinementPrompt())) {
        return r;
      }
      Opener o = new Opener(r.getTenantId());
      r.setSteeringPrompt(o.optional(r.getSteeringPrompt()));
      r.setRefinementPrompt(o.optional(r.getRefinementPrompt()));
      return r;
    }
    if (record instanceof AnalysisWork w) {
      Opener o = new Opener(w.getTenantId());
      w.setFileName(o.required(w.getFileName()));
      w.setSteeringPrompt(o.optional(w.getSteeringPrompt()));
      w.setRefinementPrompt(o.optional(w.getRefinementPrompt()));
      return w;
    }
    if (record instanceof FileRegistered f) {
      Opener o = new Opener(f.getTenantId());
      f.setName(o.required(f.getName()));
      f.setColumnNames(o.list(f.getColumnNames()));
      return f;
    }
    if (record instanceof AuditEvent a) {
      if (sealed(a.getResourceId())) {
        a.setResourceId(new Opener(a.getTenantId()).optional(a.getResourceId()));
      }
      return a;
    }
    if (record instanceof WebhookSubscription w) {
      Opener o = new Opener(w.getTenantId());
      w.setUrl(o.required(w.getUrl()));
      w.setSecret(o.required(w.getSecret()));
      return w;
    }
    if (record instanceof DeadLetter d) {
      String tenantId = tenantOfKey(d.getKey());
      if (tenantId != null) {
        Opener o = new Opener(tenantId);
        d.setValue(o.bytes(d.getValue()));
        d.setErrorMessage(o.optional(d.getErrorMessage()));
      }
      return d;
    }
    return record;
  }

  /** True when the value is a sealed string (for tests and tools that look at raw records). */
  public static boolean sealed(String value) {
    return value != null && value.startsWith(PREFIX);
  }

  private Sealer sealer(String tenantId) {
    return new Sealer(tenantId, keyring.sealingKey(tenantId));
  }

  /** Seals the fields of one record with the tenant's current key, or writes them as erased. */
  private static final class Sealer {
    private final String tenantId;
    private final Optional<Map.Entry<String, SecretKey>> key;

    Sealer(String tenantId, Optional<Map.Entry<String, SecretKey>> key) {
      this.tenantId = tenantId;
      this.key = key;
    }

    String optional(String plain) {
      if (plain == null) {
        return null;
      }
      return key.isEmpty() ? null : seal(plain);
    }

    String required(String plain) {
      return key.isEmpty() ? ERASED : seal(plain);
    }

    List<String> list(List<String> plain) {
      if (key.isEmpty()) {
        return List.of();
      }
      List<String> out = new ArrayList<>(plain.size());
      plain.forEach(p -> out.add(seal(p)));
      return out;
    }

    ByteBuffer bytes(ByteBuffer plain) {
      if (plain == null || key.isEmpty()) {
        return null;
      }
      byte[] id = key.get().getKey().getBytes(StandardCharsets.US_ASCII);
      byte[] sealed = Aead.encrypt(key.get().getValue(), array(plain), TenantKeyring.aad(tenantId, key.get().getKey()));
      return ByteBuffer.allocate(MAGIC.length + 1 + id.length + sealed.length).put(MAGIC).put((byte) id.length)
          .put(id).put(sealed).flip();
    }

    private String seal(String plain) {
      String id = key.get().getKey();
      byte[] sealed = Aead.encrypt(key.get().getValue(), plain.getBytes(StandardCharsets.UTF_8),
          TenantKeyring.aad(tenantId, id));
      return PREFIX + id + ":" + Base64.getEncoder().withoutPadding().encodeToString(sealed);
    }
  }

  /** Opens the fields of one record; what cannot be opened (key destroyed) reads as erased. */
  private final class Opener {
    private final String tenantId;

    Opener(String tenantId) {
      this.tenantId = tenantId;
    }

    String optional(String value) {
      if (!sealed(value)) {
        return value;
      }
      return open(value);
    }

    String required(String value) {
      if (!sealed(value)) {
        return value;
      }
      String plain = open(value);
      return plain == null ? ERASED : plain;
    }

    List<String> list(List<String> values) {
      List<String> out = new ArrayList<>(values.size());
      for (String v : values) {
        String plain = optional(v);
        if (plain == null) {
          return List.of(); // erased
        }
        out.add(plain);
      }
      return out;
    }

    ByteBuffer bytes(ByteBuffer value) {
      if (value == null) {
        return null;
      }
      byte[] all = array(value);
      if (all.length < MAGIC.length + 1 || !Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
        return value;
      }
      int idLength = all[MAGIC.length] & 0xff;
      int start = MAGIC.length + 1 + idLength;
      if (all.length < start) {
        return null;
      }
      String id = new String(all, MAGIC.length + 1, idLength, StandardCharsets.US_ASCII);
      byte[] plain = decrypt(id, Arrays.copyOfRange(all, start, all.length));
      return plain == null ? null : ByteBuffer.wrap(plain);
    }

    private String open(String value) {
      int colon = value.indexOf(':', PREFIX.length());
      if (colon < 0) {
        return null;
      }
      byte[] sealedBytes;
      try {
        sealedBytes = Base64.getDecoder().decode(value.substring(colon + 1));
      } catch (IllegalArgumentException e) {
        return null;
      }
      byte[] plain = decrypt(value.substring(PREFIX.length(), colon), sealedBytes);
      return plain == null ? null : new String(plain, StandardCharsets.UTF_8);
    }

    private byte[] decrypt(String dataKeyId, byte[] sealedBytes) {
      Optional<SecretKey> key = keyring.openingKey(tenantId, dataKeyId);
      if (key.isEmpty()) {
        return null; // destroyed: the tenant was erased
      }
      try {
        return Aead.decrypt(key.get(), sealedBytes, TenantKeyring.aad(tenantId, dataKeyId));
      } catch (GeneralSecurityException e) {
        // altered, or moved from another tenant: unreadable, and reported without any of its content
        log.warn("a sealed field of tenant {} under key {} does not decrypt; read as erased", tenantId, dataKeyId);
        return null;
      }
    }
  }

  private static String tenantOfKey(ByteBuffer key) {
    if (key == null) {
      return null;
    }
    String text = new String(array(key), StandardCharsets.UTF_8);
    String tenantId = TenantKeys.tenantOf(text);
    return TenantKeys.isValidTenantId(tenantId) ? tenantId : null;
  }

  private static byte[] array(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}
