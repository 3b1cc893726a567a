package dev.millrace.runner.web;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may cancel, drain or checkpoint a job: anyone who can reach a UI bound to loopback, else only
 * a request carrying the token the UI was started with ({@code Authorization: Bearer <token>}).
 * Every action must also carry {@code X-Requested-By: millrace}, which a web page on another site
 * cannot add without the browser asking this server first (and it never agrees): so a page the user
 * visits cannot post actions to a UI on their own machine.
 */
final class ActionGuard {
  static final String REQUESTED_BY = "X-Requested-By";

  private final boolean loopback;
  private final String token;

  ActionGuard(boolean loopback, String token) {
    this.loopback = loopback;
    this.token = token;
  }

  /** Why {@code exchange} may not act, or null if it may. */
  String refusal(HttpExchange exchange) {
    return refusal(name -> exchange.getRequestHeaders().getFirst(name));
  }

  /** Why a request with {@code headers} (by name, null when absent) may not act, or null. */
  String refusal(java.util.function.UnaryOperator<String> headers) {
    if (!"millrace".equals(headers.apply(REQUESTED_BY))) {
      return "actions need the header " + REQUESTED_BY + ": millrace";
    }
    if (loopback) {
      return null;
    }
    String given = headers.apply("Authorization");
    if (token == null || token.isEmpty()) {
      return "this UI is reachable from other machines and was started without a token: actions are"
          + " refused";
    }
    if (given == null
        || !MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8),
            ("Bearer " + token).getBytes(StandardCharsets.UTF_8))) {
      return "actions on a UI reachable from other machines need 'Authorization: Bearer <token>',"
          + " the token given when it started";
    }
    return null;
  }
}
