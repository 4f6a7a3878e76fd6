import boto3
import requests
import openai
from huggingface_hub import HfApi

s3 = boto3.client(
    "s3",
    aws_access_key_id="AKIANIDLYNFYYR44FD22",
    aws_secret_access_key="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",
)

openai.api_key = "sk-proj-AUxHS91NA-IrBZC9yxpJE9dBRUST_3LLVtTpP7K72gaYBhSV2yqH_6AiQ6mr7x52T3BlbkFJf2J39OA9CCBRn9ek9sPBDYjrGfDGl_Efq9_O6O3Jt1PDo4MkmKtpKOpYnQLgl41_"
hf = HfApi(token="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")


def notify(msg):
    requests.post(
        "https://api.telegram.org/bot3456891007:AAFWBVQ7Hl42cmufGNS98gAyXJ-W2HHT7Pn/sendMessage",
        json={"chat_id": 1234, "text": msg},
    )


def charge(amount):
    headers = {"Authorization": "Bearer " + get_secret("stripe")}
    return requests.post("https://api.stripe.com/v1/charges", headers=headers, data={"amount": amount})


def get_secret(name):
    raise NotImplementedError
