"""Renders the chat templates in src/test/resources/chat-templates with Python's jinja2 the way Hugging Face's
apply_chat_template does (trim_blocks, lstrip_blocks, loop controls, raise_exception), for two conversations,
and writes expected.json: per template and conversation, the text, the message the template raised with
raise_exception ('raised'), or another rendering error ('error').
strftime_now is not defined (gguf-serve does not define it either), so templates fall back to their default date.

usage: python3 src/test/chat-templates/make-expected.py   (from the repository root; needs jinja2)"""
import json, pathlib
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.exceptions import TemplateError

root = pathlib.Path(__file__).resolve().parents[2] / 'test' / 'resources' / 'chat-templates'

# bos_token / eos_token as each model's tokenizer names them.
TOKENS = {
    'HuggingFaceTB-SmolLM3-3B': ('', '<|im_end|>'),
    'NousResearch-Hermes-3-Llama-3.1-8B-tool_use': ('<|begin_of_text|>', '<|im_end|>'),
    'Qwen-Qwen2.5-7B-Instruct': ('', '<|im_end|>'),
    'Qwen-Qwen3-0.6B': ('', '<|im_end|>'),
    'google-gemma-2-2b-it': ('<bos>', '<eos>'),
    'ibm-granite-granite-3.3-2B-Instruct': ('<|end_of_text|>', '<|end_of_text|>'),
    'meta-llama-Llama-3.1-8B-Instruct': ('<|begin_of_text|>', '<|eot_id|>'),
    'meta-llama-Llama-3.2-3B-Instruct': ('<|begin_of_text|>', '<|eot_id|>'),
    'microsoft-Phi-3.5-mini-instruct': ('<s>', '<|endoftext|>'),
    'mistralai-Mistral-Nemo-Instruct-2407': ('<s>', '</s>'),
}

CONVERSATIONS = {
    'multi-turn': [
        {'role': 'user', 'content': 'Hello'},
        {'role': 'assistant', 'content': 'Hi! How can I help?'},
        {'role': 'user', 'content': 'What is 2+2?'},
    ],
    'thinking': [
        {'role': 'user', 'content': 'Hi'},
        {'role': 'assistant', 'content': '<think>\nThe user greets me.\n</think>\n\nHello!'},
        {'role': 'user', 'content': 'Bye'},
    ],
    'with-system': [
        {'role': 'system', 'content': 'You are terse.'},
        {'role': 'user', 'content': 'Name a colour.'},
        {'role': 'assistant', 'content': 'Blue.'},
        {'role': 'user', 'content': 'Another.'},
    ],
}


class Raised(TemplateError):
    pass


def raise_exception(message):
    raise Raised(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=['jinja2.ext.loopcontrols'])
env.globals['raise_exception'] = raise_exception
expected = {}
for name, (bos, eos) in sorted(TOKENS.items()):
    source = (root / (name + '.jinja')).read_text()
    template = env.from_string(source)
    expected[name] = {}
    for conversation, messages in CONVERSATIONS.items():
        try:
            text = template.render(messages=messages, add_generation_prompt=True, bos_token=bos, eos_token=eos)
            expected[name][conversation] = {'text': text}
        except Raised as e:
            expected[name][conversation] = {'raised': str(e)}
        except TemplateError as e:
            expected[name][conversation] = {'error': str(e)}
(root / 'expected.json').write_text(json.dumps({'bos_eos': TOKENS, 'conversations': CONVERSATIONS,
                                                'expected': expected}, indent=1, ensure_ascii=False) + '\n')
