package dev.millrace.translation.operators.stage;

import dev.millrace.state.keyed.KeyedState;
import java.io.IOException;
import java.io.InputStream;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.beam.model.fnexecution.v1.BeamFnApi;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.StateKey;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.StateRequest;
import org.apache.beam.model.fnexecution.v1.BeamFnApi.StateResponse;
import org.apache.beam.runners.core.StateNamespace;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.runners.fnexecution.state.StateRequestHandler;
import org.apache.beam.runners.fnexecution.wire.ByteStringCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.ByteString;
import org.joda.time.Instant;

/**
 * User state of a stage's DoFns, read and written by the SDK harness over the Fn API and kept in
 * the stage's {@link KeyedState} (heap or RocksDB, as for the Java runner): bag state (value, bag
 * and combining state of the SDK), multimap state (map, set and multimap state) and ordered-list
 * state. Keys, map keys and values stay the bytes the harness sends, so state of coders only the
 * SDK knows needs no decoding: a bag keeps each appended chunk and a read returns them joined, a
 * multimap keeps a chunk per append under the encoded map key. Only ordered lists are split into
 * their entries (a var-long sort key and a length-prefixed value each), as they are read by range.
 *
 * <p>A key is its key coder's nested encoding, which is also how the stage keys the timers the
 * harness sets. Requests come on gRPC threads and take {@code lock}, which the stage's own thread
 * holds while it works on the same state.
 *
 * <p>The harness may cache what it read across bundles (the response names a cache token): only the
 * harness writes this state, and the stage clears a window's state only once input for it is
 * dropped as late, so a cached value is never stale while it can still be read.
 */
final class StageUserState implements StateRequestHandler {
  private final KeyedState<ByteString> keys;
  private final Coder<BoundedWindow> windowCoder;
  private final Object lock;
  private final BeamFnApi.ProcessBundleRequest.CacheToken cacheToken =
      BeamFnApi.ProcessBundleRequest.CacheToken.newBuilder()
          .setUserState(BeamFnApi.ProcessBundleRequest.CacheToken.UserState.getDefaultInstance())
          .setToken(ByteString.copyFromUtf8(UUID.randomUUID().toString()))
          .build();

  StageUserState(KeyedState<ByteString> keys, Coder<BoundedWindow> windowCoder, Object lock) {
    this.keys = keys;
    this.windowCoder = windowCoder;
    this.lock = lock;
  }

  /** Where a transform's state cell lives: state ids are unique within a transform only. */
  private static String cellId(String transformId, String userStateId) {
    return transformId + "/" + userStateId;
  }

  /** Clears a cell of a key in a window, whatever kind of state it is. */
  static void clear(
      KeyedState.Entry<ByteString> entry, StateNamespace window, StageSpec.StateCell cell) {
    String id = cellId(cell.transformId(), cell.userStateId());
    switch (cell.protocol()) {
      case ParDoTranslation.MULTIMAP_USER_STATE -> multimap(entry, window, id).clear();
      case ParDoTranslation.ORDERED_LIST_USER_STATE -> orderedList(entry, window, id).clear();
      default -> bag(entry, window, id).clear();
    }
  }

  /** The user state protocols this class serves. */
  static boolean serves(String protocol) {
    return protocol.equals(ParDoTranslation.BAG_USER_STATE)
        || protocol.equals(ParDoTranslation.MULTIMAP_USER_STATE)
        || protocol.equals(ParDoTranslation.ORDERED_LIST_USER_STATE);
  }

  @Override
  public Iterable<BeamFnApi.ProcessBundleRequest.CacheToken> getCacheTokens() {
    return java.util.List.of(cacheToken);
  }

  @Override
  public CompletionStage<StateResponse.Builder> handle(StateRequest request) {
    try {
      StateResponse.Builder response;
      synchronized (lock) {
        response = answer(request);
      }
      return CompletableFuture.completedFuture(response.setId(request.getId()));
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private StateResponse.Builder answer(StateRequest request) throws Exception {
    StateKey key = request.getStateKey();
    return switch (key.getTypeCase()) {
      case BAG_USER_STATE -> {
        StateKey.BagUserState bag = key.getBagUserState();
        yield bag(
            request,
            cell(bag.getKey(), bag.getWindow(), bag.getTransformId(), bag.getUserStateId()));
      }
      case MULTIMAP_USER_STATE -> {
        StateKey.MultimapUserState map = key.getMultimapUserState();
        yield mapValues(
            request,
            cell(map.getKey(), map.getWindow(), map.getTransformId(), map.getUserStateId()),
            map.getMapKey());
      }
      case MULTIMAP_KEYS_USER_STATE -> {
        StateKey.MultimapKeysUserState map = key.getMultimapKeysUserState();
        yield mapKeys(
            request,
            cell(map.getKey(), map.getWindow(), map.getTransformId(), map.getUserStateId()));
      }
      case ORDERED_LIST_USER_STATE -> {
        StateKey.OrderedListUserState list = key.getOrderedListUserState();
        yield orderedList(
            request,
            cell(list.getKey(), list.getWindow(), list.getTransformId(), list.getUserStateId()),
            list.getRange());
      }
      default -> throw new IllegalArgumentException("not user state: " + key.getTypeCase());
    };
  }

  /** One key's state cell in one window, as a request names it. */
  private record Cell(KeyedState.Entry<ByteString> entry, StateNamespace window, String id) {}

  private Cell cell(ByteString key, ByteString window, String transformId, String userStateId)
      throws IOException {
    KeyedState.Entry<ByteString> entry;
    try {
      entry = keys.entry(key);
    } catch (Exception e) {
      throw new IOException("could not open the state of key " + key, e);
    }
    BoundedWindow decoded = windowCoder.decode(window.newInput());
    return new Cell(
        entry, StateNamespaces.window(windowCoder, decoded), cellId(transformId, userStateId));
  }

  private StateResponse.Builder bag(StateRequest request, Cell cell) {
    BagState<ByteString> bag = bag(cell.entry, cell.window, cell.id);
    StateResponse.Builder response = StateResponse.newBuilder();
    switch (request.getRequestCase()) {
      case GET ->
          response.setGet(
              BeamFnApi.StateGetResponse.newBuilder().setData(ByteString.copyFrom(bag.read())));
      case APPEND -> {
        bag.add(request.getAppend().getData());
        response.setAppend(BeamFnApi.StateAppendResponse.getDefaultInstance());
      }
      case CLEAR -> {
        bag.clear();
        response.setClear(BeamFnApi.StateClearResponse.getDefaultInstance());
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported bag state request " + request.getRequestCase());
    }
    keys.track(cell.entry, false);
    return response;
  }

  private StateResponse.Builder mapValues(StateRequest request, Cell cell, ByteString mapKey) {
    MultimapState<ByteString, ByteString> map = multimap(cell.entry, cell.window, cell.id);
    StateResponse.Builder response = StateResponse.newBuilder();
    switch (request.getRequestCase()) {
      case GET ->
          response.setGet(
              BeamFnApi.StateGetResponse.newBuilder()
                  .setData(ByteString.copyFrom(map.get(mapKey).read())));
      case APPEND -> {
        map.put(mapKey, request.getAppend().getData());
        response.setAppend(BeamFnApi.StateAppendResponse.getDefaultInstance());
      }
      case CLEAR -> {
        map.remove(mapKey);
        response.setClear(BeamFnApi.StateClearResponse.getDefaultInstance());
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported multimap state request " + request.getRequestCase());
    }
    keys.track(cell.entry, false);
    return response;
  }

  private StateResponse.Builder mapKeys(StateRequest request, Cell cell) {
    MultimapState<ByteString, ByteString> map = multimap(cell.entry, cell.window, cell.id);
    StateResponse.Builder response = StateResponse.newBuilder();
    switch (request.getRequestCase()) {
      case GET ->
          response.setGet(
              BeamFnApi.StateGetResponse.newBuilder()
                  .setData(ByteString.copyFrom(map.keys().read())));
      case CLEAR -> {
        map.clear();
        response.setClear(BeamFnApi.StateClearResponse.getDefaultInstance());
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported multimap keys request " + request.getRequestCase());
    }
    keys.track(cell.entry, false);
    return response;
  }

  private StateResponse.Builder orderedList(
      StateRequest request, Cell cell, BeamFnApi.OrderedListRange range) throws IOException {
    OrderedListState<ByteString> list = orderedList(cell.entry, cell.window, cell.id);
    StateResponse.Builder response = StateResponse.newBuilder();
    switch (request.getRequestCase()) {
      case GET -> {
        ByteString.Output data = ByteString.newOutput();
        for (TimestampedValue<ByteString> value :
            list.readRange(
                Instant.ofEpochMilli(range.getStart()), Instant.ofEpochMilli(range.getEnd()))) {
          VarLongCoder.of().encode(value.getTimestamp().getMillis(), data);
          VarInt.encode(value.getValue().size(), data);
          value.getValue().writeTo(data);
        }
        response.setGet(BeamFnApi.StateGetResponse.newBuilder().setData(data.toByteString()));
      }
      case APPEND -> {
        InputStream in = request.getAppend().getData().newInput();
        while (in.available() > 0) {
          long sortKey = VarLongCoder.of().decode(in);
          int length = VarInt.decodeInt(in);
          list.add(
              TimestampedValue.of(
                  ByteString.copyFrom(in.readNBytes(length)), Instant.ofEpochMilli(sortKey)));
        }
        response.setAppend(BeamFnApi.StateAppendResponse.getDefaultInstance());
      }
      case CLEAR -> {
        list.clearRange(
            Instant.ofEpochMilli(range.getStart()), Instant.ofEpochMilli(range.getEnd()));
        response.setClear(BeamFnApi.StateClearResponse.getDefaultInstance());
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported ordered list request " + request.getRequestCase());
    }
    keys.track(cell.entry, false);
    return response;
  }

  private static BagState<ByteString> bag(
      KeyedState.Entry<ByteString> entry, StateNamespace window, String cellId) {
    return entry.state.state(window, StateTags.bag(cellId, ByteStringCoder.of()));
  }

  private static MultimapState<ByteString, ByteString> multimap(
      KeyedState.Entry<ByteString> entry, StateNamespace window, String cellId) {
    return entry.state.state(
        window, StateTags.multimap(cellId, ByteStringCoder.of(), ByteStringCoder.of()));
  }

  private static OrderedListState<ByteString> orderedList(
      KeyedState.Entry<ByteString> entry, StateNamespace window, String cellId) {
    return entry.state.state(window, StateTags.orderedList(cellId, ByteStringCoder.of()));
  }
}
