# One image for every storystream service; the command picks which one runs (see docker-compose.yml).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# curl for the containers' health checks
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 storystream && mkdir -p /data && chown storystream /data
COPY --from=build /src/launcher/target/storystream.jar /app/storystream.jar
COPY --from=build /src/launcher/target/lib /app/lib
USER storystream
ENV STORYSTREAM_DATA_DIR=/data \
    JAVA_TOOL_OPTIONS="-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.storystream.schemas -XX:MaxRAMPercentage=75"
ENTRYPOINT ["java", "-jar", "/app/storystream.jar"]
