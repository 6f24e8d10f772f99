package io.storystream.ingress.jobs;

import io.storystream.common.http.ProblemException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What the ingress does to prompts before they travel on: a length limit (422 beyond it), control and
 * bidirectional-formatting characters removed (they have no business in an analysis instruction and can hide text
 * from a reviewer), and a flag — never a rewrite — when a prompt looks like a prompt-injection attempt, so the
 * processor and the audit can see it while the tenant's words stay theirs.
 */
public final class PromptPolicy {
  public static final int MAX_STEERING = 2_000;
  public static final int MAX_REFINEMENT = 4_000;

  private static final List<Pattern> INJECTION = List.of(
      Pattern.compile("\\b(ignore|disregard|forget|override)\\b.{0,40}\\b(previous|prior|above|earlier|all|any|your|the)\\b.{0,40}\\b(instructions?|prompts?|rules|directions|guidelines)\\b",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL),
      Pattern.compile("\\b(reveal|print|show|repeat|leak|output)\\b.{0,40}\\b(system prompt|hidden prompt|instructions|api[ _-]?key|secret|password)s?\\b",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL),
      Pattern.compile("\\byou are (now|no longer)\\b|\\bact as (an?|the) (unrestricted|jailbroken|different)\\b|\\bdeveloper mode\\b|\\bjailbreak",
          Pattern.CASE_INSENSITIVE),
      Pattern.compile("<\\|?(im_start|im_end|system|endoftext)\\|?>|^\\s*(###\\s*)?(system|assistant)\\s*:",
          Pattern.CASE_INSENSITIVE | Pattern.MULTILINE));

  private PromptPolicy() {}

  /** A prompt ready to publish, and what was noticed on the way. */
  public record Cleaned(String text, List<String> flags) {}

  /** Cleans one prompt; null stays null. {@code field} names it in problems. */
  public static Cleaned clean(String field, String prompt, int maxLength) {
    if (prompt == null) {
      return new Cleaned(null, List.of());
    }
    if (prompt.codePointCount(0, prompt.length()) > maxLength) {
      throw new ProblemException(422, "prompt-too-long", "Prompt too long",
          field + " has more than " + maxLength + " characters");
    }
    List<String> flags = new ArrayList<>();
    StringBuilder kept = new StringBuilder(prompt.length());
    boolean control = false;
    boolean bidi = false;
    for (int i = 0; i < prompt.length(); ) {
      int cp = prompt.codePointAt(i);
      i += Character.charCount(cp);
      if (isBidiControl(cp)) {
        bidi = true;
      } else if (isStrippedControl(cp)) {
        control = true;
      } else {
        kept.appendCodePoint(cp);
      }
    }
    if (control) {
      flags.add("control_characters_removed");
    }
    if (bidi) {
      flags.add("bidi_characters_removed");
    }
    String text = kept.toString().strip();
    if (text.isEmpty()) {
      throw new ProblemException(422, "empty-prompt", "Empty prompt",
          field + " has no text once control and formatting characters are removed; omit it instead");
    }
    if (INJECTION.stream().anyMatch(p -> p.matcher(text).find())) {
      flags.add("prompt_injection");
    }
    return new Cleaned(text, flags);
  }

  public static List<String> merge(Cleaned a, Cleaned b) {
    TreeSet<String> all = new TreeSet<>(a.flags());
    all.addAll(b.flags());
    return List.copyOf(all);
  }

  static boolean isBidiControl(int cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F
        || cp == 0x061C;
  }

  /** C0/C1 controls except tab and line breaks, other format characters (zero-width, BOM), unassigned. */
  static boolean isStrippedControl(int cp) {
    if (cp == '\n' || cp == '\t') {
      return false;
    }
    if (cp == '\r') {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.UNASSIGNED
        || type == Character.PRIVATE_USE || type == Character.SURROGATE;
  }
}
