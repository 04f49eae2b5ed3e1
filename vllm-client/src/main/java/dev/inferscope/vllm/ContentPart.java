package dev.inferscope.vllm;

import java.util.Base64;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One part of a chat message's content: text, an image, audio or a file. Parts are payload: Inferscope
 * never logs, traces or tags them, and their {@code toString()} shows only their kind and size.
 *
 * <p>The wire shapes are the OpenAI chat content parts that vLLM accepts (vllm-project/vllm
 * {@code vllm/entrypoints/chat_utils.py}, {@code ChatCompletionContentPartParam}; openai/openai-python
 * {@code src/openai/types/chat/chat_completion_content_part_param.py}): {@code {"type":"text","text"}},
 * {@code {"type":"image_url","image_url":{"url","detail"}}},
 * {@code {"type":"input_audio","input_audio":{"data","format"}}} and
 * {@code {"type":"file","file":{"file_id" | "file_data","filename"}}}.
 */
public sealed interface ContentPart permits ContentPart.Text, ContentPart.ImageUrl, ContentPart.InputAudio,
    ContentPart.File {

  /** The part's {@code type} on the wire. */
  String type();

  /** A text part. */
  static Text text(String text) {
    return new Text(text);
  }

  /** An image by URL ({@code https:} or a {@code data:} URI), the server's default detail. */
  static ImageUrl imageUrl(String url) {
    return new ImageUrl(url, null);
  }

  /** An image by URL with a detail level ({@code auto}, {@code low} or {@code high}). */
  static ImageUrl imageUrl(String url, @Nullable String detail) {
    return new ImageUrl(url, detail);
  }

  /** An image given as bytes, sent as a base64 {@code data:} URI of {@code mimeType} (e.g. {@code image/png}). */
  static ImageUrl image(String mimeType, byte[] data) {
    Objects.requireNonNull(mimeType, "mimeType");
    return new ImageUrl("data:" + mimeType + ";base64," + Base64.getEncoder().encodeToString(data), null);
  }

  /** Audio bytes in {@code format} ({@code wav} or {@code mp3}), sent base64-encoded. */
  static InputAudio inputAudio(byte[] data, String format) {
    return new InputAudio(Base64.getEncoder().encodeToString(data), format);
  }

  /** A file the server already holds, by id. */
  static File file(String fileId) {
    return new File(Objects.requireNonNull(fileId, "fileId"), null, null);
  }

  /** A file sent inline: {@code fileData} is its base64 data (usually a {@code data:} URI). */
  static File fileData(String filename, String fileData) {
    return new File(null, Objects.requireNonNull(fileData, "fileData"), Objects.requireNonNull(filename, "filename"));
  }

  /** Text. */
  record Text(String text) implements ContentPart {
    public Text {
      Objects.requireNonNull(text, "text");
    }

    @Override
    public String type() {
      return "text";
    }

    @Override
    public String toString() {
      return "Text[<" + text.length() + " chars>]";
    }
  }

  /**
   * An image by URL.
   *
   * @param url an {@code http(s)} URL or a {@code data:} URI
   * @param detail {@code auto}, {@code low}, {@code high}, or {@code null} for the server's default
   */
  record ImageUrl(String url, @Nullable String detail) implements ContentPart {
    public ImageUrl {
      Objects.requireNonNull(url, "url");
      if (url.isEmpty()) {
        throw new IllegalArgumentException("an image part needs a URL");
      }
      if (detail != null && !detail.equals("auto") && !detail.equals("low") && !detail.equals("high")) {
        throw new IllegalArgumentException("image detail must be auto, low or high, not " + detail);
      }
    }

    @Override
    public String type() {
      return "image_url";
    }

    @Override
    public String toString() {
      return "ImageUrl[<" + url.length() + " chars>, detail=" + detail + "]";
    }
  }

  /**
   * Audio, base64-encoded.
   *
   * @param data the base64 audio
   * @param format {@code wav} or {@code mp3}
   */
  record InputAudio(String data, String format) implements ContentPart {
    public InputAudio {
      Objects.requireNonNull(data, "data");
      Objects.requireNonNull(format, "format");
      if (!format.equals("wav") && !format.equals("mp3")) {
        throw new IllegalArgumentException("audio format must be wav or mp3, not " + format);
      }
    }

    @Override
    public String type() {
      return "input_audio";
    }

    @Override
    public String toString() {
      return "InputAudio[<" + data.length() + " base64 chars>, format=" + format + "]";
    }
  }

  /**
   * A file: by id, or inline with a file name.
   *
   * @param fileId the id of a file the server holds, or {@code null}
   * @param fileData the inline base64 data, or {@code null}
   * @param filename the inline file's name, or {@code null}
   */
  record File(@Nullable String fileId, @Nullable String fileData, @Nullable String filename) implements ContentPart {
    public File {
      if ((fileId == null) == (fileData == null)) {
        throw new IllegalArgumentException("a file part needs either a file id or inline file data");
      }
    }

    @Override
    public String type() {
      return "file";
    }

    @Override
    public String toString() {
      return fileId != null ? "File[id]" : "File[<" + fileData.length() + " chars inline>]";
    }
  }
}
