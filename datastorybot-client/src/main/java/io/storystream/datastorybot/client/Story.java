package io.storystream.datastorybot.client;

/** One story angle proposed by analyze. {@code id} is stable within one result (s1, s2, s3). */
public record Story(String id, String title, String summary) {}
