package io.storystream.datastorybot.client;

/** A chart produced by refine: the PNG bytes, downloaded while the container was alive. */
public record Chart(String fileName, String caption, byte[] png) {}
