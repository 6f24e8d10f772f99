package io.storystream.billing.tables;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** Where the billing tables live: a JDBC URL and its credentials (the password never appears in toString). */
public record PostgresConnection(String jdbcUrl, String user, String password) {
  public Connection open() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, user, password);
  }

  @Override
  public String toString() {
    return "PostgresConnection[" + jdbcUrl + ", user " + user + "]";
  }
}
