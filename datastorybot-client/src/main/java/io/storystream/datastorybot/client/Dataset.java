package io.storystream.datastorybot.client;

/** The filtered CSV behind the chosen story. */
public record Dataset(String fileName, byte[] csv, long rows, int columns) {}
