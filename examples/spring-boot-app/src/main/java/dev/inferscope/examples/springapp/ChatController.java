package dev.inferscope.examples.springapp;

import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.Completion;
import dev.inferscope.vllm.VllmClient;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /chat}: one chat turn through the {@code chat} vLLM endpoint. */
@RestController
class ChatController {
  private final VllmClient chat;
  private final String model;

  ChatController(@Qualifier("chat") VllmClient chat, @Value("${example.chat.model:llama-3-8b}") String model) {
    this.chat = chat;
    this.model = model;
  }

  /** The question. */
  record Question(String message) {}

  /** The answer. */
  record Answer(String reply, String model, long inputTokens, long outputTokens) {}

  @PostMapping("/chat")
  Answer chat(@RequestBody Question question) {
    if (question == null || question.message() == null || question.message().isBlank()) {
      throw new BadRequest("message is required");
    }
    Completion c = chat.chat(ChatRequest.builder(model).user(question.message()).build());
    return new Answer(c.text(), c.model() == null ? model : c.model(), c.usage().promptTokens(),
        c.usage().completionTokens());
  }
}
