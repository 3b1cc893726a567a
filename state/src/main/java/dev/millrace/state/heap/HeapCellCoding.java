package dev.millrace.state.heap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateTag;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.CombiningState;
import org.apache.beam.sdk.state.MapState;
import org.apache.beam.sdk.state.MultimapState;
import org.apache.beam.sdk.state.OrderedListState;
import org.apache.beam.sdk.state.SetState;
import org.apache.beam.sdk.state.State;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.state.WatermarkHoldState;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.CombineWithContext.CombineFnWithContext;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * Heap state cells written to bytes for a checkpoint and read back into fresh cells. A cell's
 * coders are those its {@link StateTag} declares, found by binding the tag to a binder that only
 * records what it is given (once per state id: one operator's id always binds the same way).
 * Watermark holds are kept apart: their time is needed at restore, before any tag is known (see
 * {@link HeapKeyState}). One instance per operator; not thread-safe.
 */
final class HeapCellCoding {
  /** A non-empty cell's contents; {@code hold} is the time of a watermark hold, else null. */
  record Encoded(byte[] bytes, Instant hold) {}

  private final Map<String, Shape> shapes = new HashMap<>();
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(buffer);

  /** What a tag binds to, and the coders of its contents. */
  private enum Kind {
    VALUE,
    BAG,
    SET,
    MAP,
    MULTIMAP,
    ORDERED_LIST,
    COMBINING,
    WATERMARK
  }

  private record Shape(Kind kind, Coder<Object> first, Coder<Object> second) {}

  /** The contents of a non-empty cell, or null for an empty one. */
  Encoded encode(StateTag<?> tag, State cell) throws IOException {
    if (((InMemoryStateInternals.InMemoryState<?>) cell).isCleared()) {
      return null;
    }
    Shape shape = shapeOf(tag);
    buffer.reset();
    Instant hold = null;
    switch (shape.kind) {
      case VALUE -> {
        Object value = ((ValueState<?>) cell).read();
        out.writeBoolean(value != null);
        if (value != null) {
          shape.first.encode(value, out);
        }
      }
      case BAG -> writeAll(out, ((BagState<?>) cell).read(), shape.first);
      case SET -> writeAll(out, ((SetState<?>) cell).read(), shape.first);
      case MAP -> writeEntries(out, ((MapState<?, ?>) cell).entries().read(), shape);
      case MULTIMAP -> writeEntries(out, ((MultimapState<?, ?>) cell).entries().read(), shape);
      case ORDERED_LIST -> {
        for (TimestampedValue<?> value : ((OrderedListState<?>) cell).read()) {
          out.writeBoolean(true);
          out.writeLong(value.getTimestamp().getMillis());
          shape.first.encode(value.getValue(), out);
        }
        out.writeBoolean(false);
      }
      case COMBINING ->
          shape.first.encode(
              ((InMemoryStateInternals.InMemoryCombiningState<?, ?, ?>) cell).getAccum(), out);
      case WATERMARK -> {
        hold = ((WatermarkHoldState) cell).read();
        out.writeLong(hold.getMillis());
      }
    }
    out.flush();
    return new Encoded(buffer.toByteArray(), hold);
  }

  /** The time of a hold cell's bytes. */
  static Instant holdOf(byte[] bytes) throws IOException {
    return new Instant(new DataInputStream(new ByteArrayInputStream(bytes)).readLong());
  }

  /** Adds what {@link #encode} wrote for {@code tag} to {@code cell}, a fresh cell of that tag. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  void decodeInto(StateTag<?> tag, byte[] bytes, State cell) throws IOException {
    Shape shape = shapeOf(tag);
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    switch (shape.kind) {
      case VALUE -> ((ValueState) cell).write(in.readBoolean() ? shape.first.decode(in) : null);
      case BAG -> {
        while (in.readBoolean()) {
          ((BagState) cell).add(shape.first.decode(in));
        }
      }
      case SET -> {
        while (in.readBoolean()) {
          ((SetState) cell).add(shape.first.decode(in));
        }
      }
      case MAP -> {
        while (in.readBoolean()) {
          ((MapState) cell).put(shape.first.decode(in), shape.second.decode(in));
        }
      }
      case MULTIMAP -> {
        while (in.readBoolean()) {
          ((MultimapState) cell).put(shape.first.decode(in), shape.second.decode(in));
        }
      }
      case ORDERED_LIST -> {
        while (in.readBoolean()) {
          Instant timestamp = new Instant(in.readLong());
          ((OrderedListState) cell).add(TimestampedValue.of(shape.first.decode(in), timestamp));
        }
      }
      case COMBINING -> ((CombiningState) cell).addAccum(shape.first.decode(in));
      case WATERMARK -> ((WatermarkHoldState) cell).add(new Instant(in.readLong()));
    }
  }

  private static void writeAll(DataOutputStream out, Iterable<?> values, Coder<Object> coder)
      throws IOException {
    for (Object value : values) {
      out.writeBoolean(true);
      coder.encode(value, out);
    }
    out.writeBoolean(false);
  }

  private static void writeEntries(
      DataOutputStream out, Iterable<? extends Map.Entry<?, ?>> entries, Shape shape)
      throws IOException {
    for (Map.Entry<?, ?> entry : entries) {
      out.writeBoolean(true);
      shape.first.encode(entry.getKey(), out);
      shape.second.encode(entry.getValue(), out);
    }
    out.writeBoolean(false);
  }

  private Shape shapeOf(StateTag<?> tag) {
    Shape known = shapes.get(tag.getId());
    if (known != null) {
      return known;
    }
    ShapeBinder binder = new ShapeBinder();
    tag.bind(binder);
    if (binder.shape == null) {
      throw new IllegalStateException(
          "state " + tag.getId() + " did not bind to a known kind of state");
    }
    shapes.put(tag.getId(), binder.shape);
    return binder.shape;
  }

  /** Records the kind and coders a tag binds with; the cell it returns is never used. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final class ShapeBinder implements StateTag.StateBinder {
    Shape shape;

    private <S> S record(Kind kind, Coder<?> first, Coder<?> second) {
      shape = new Shape(kind, (Coder) first, (Coder) second);
      return null;
    }

    @Override
    public <T> ValueState<T> bindValue(StateTag<ValueState<T>> spec, Coder<T> coder) {
      return record(Kind.VALUE, coder, null);
    }

    @Override
    public <T> BagState<T> bindBag(StateTag<BagState<T>> spec, Coder<T> elemCoder) {
      return record(Kind.BAG, elemCoder, null);
    }

    @Override
    public <T> SetState<T> bindSet(StateTag<SetState<T>> spec, Coder<T> elemCoder) {
      return record(Kind.SET, elemCoder, null);
    }

    @Override
    public <KeyT, ValueT> MapState<KeyT, ValueT> bindMap(
        StateTag<MapState<KeyT, ValueT>> spec,
        Coder<KeyT> mapKeyCoder,
        Coder<ValueT> mapValueCoder) {
      return record(Kind.MAP, mapKeyCoder, mapValueCoder);
    }

    @Override
    public <KeyT, ValueT> MultimapState<KeyT, ValueT> bindMultimap(
        StateTag<MultimapState<KeyT, ValueT>> spec,
        Coder<KeyT> keyCoder,
        Coder<ValueT> valueCoder) {
      return record(Kind.MULTIMAP, keyCoder, valueCoder);
    }

    @Override
    public <T> OrderedListState<T> bindOrderedList(
        StateTag<OrderedListState<T>> spec, Coder<T> elemCoder) {
      return record(Kind.ORDERED_LIST, elemCoder, null);
    }

    @Override
    public <InputT, AccumT, OutputT> CombiningState<InputT, AccumT, OutputT> bindCombiningValue(
        StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
        Coder<AccumT> accumCoder,
        CombineFn<InputT, AccumT, OutputT> combineFn) {
      return record(Kind.COMBINING, accumCoder, null);
    }

    @Override
    public <InputT, AccumT, OutputT>
        CombiningState<InputT, AccumT, OutputT> bindCombiningValueWithContext(
            StateTag<CombiningState<InputT, AccumT, OutputT>> spec,
            Coder<AccumT> accumCoder,
            CombineFnWithContext<InputT, AccumT, OutputT> combineFn) {
      return record(Kind.COMBINING, accumCoder, null);
    }

    @Override
    public WatermarkHoldState bindWatermark(
        StateTag<WatermarkHoldState> spec, TimestampCombiner timestampCombiner) {
      return record(Kind.WATERMARK, null, null);
    }
  }
}
