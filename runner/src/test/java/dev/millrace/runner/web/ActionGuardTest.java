package dev.millrace.runner.web;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ActionGuardTest {
  private static String refusal(ActionGuard guard, Map<String, String> headers) {
    return guard.refusal(headers::get);
  }

  @Test
  void loopbackNeedsOnlyTheHeaderAPageOnAnotherSiteCannotAdd() {
    ActionGuard guard = new ActionGuard(true, null);
    assertThat(refusal(guard, Map.of()), containsString("X-Requested-By"));
    assertThat(refusal(guard, Map.of("X-Requested-By", "millrace")), nullValue());
  }

  @Test
  void anyOtherAddressNeedsTheToken() {
    ActionGuard guard = new ActionGuard(false, "s3cret");
    assertThat(refusal(guard, Map.of("X-Requested-By", "millrace")), containsString("token"));
    assertThat(
        refusal(guard, Map.of("X-Requested-By", "millrace", "Authorization", "Bearer wrong")),
        containsString("token"));
    assertThat(
        refusal(guard, Map.of("X-Requested-By", "millrace", "Authorization", "Bearer s3cret")),
        nullValue());
  }

  @Test
  void anyOtherAddressWithoutATokenRefusesEveryAction() {
    ActionGuard guard = new ActionGuard(false, "");
    assertThat(
        refusal(guard, Map.of("X-Requested-By", "millrace", "Authorization", "Bearer ")),
        containsString("without a token"));
  }
}
