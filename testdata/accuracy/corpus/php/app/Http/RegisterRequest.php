<?php

namespace App\Http\Requests;

use Illuminate\Foundation\Http\FormRequest;

class RegisterRequest extends FormRequest
{
    public function rules(): array
    {
        return [
            'email' => 'required|email|max:255',
            'password' => 'required|string|min:8|confirmed',
            'current_password' => 'required|current_password',
        ];
    }

    public function buildForm($builder): void
    {
        $builder->add('password', 'repeated');
        $builder->add('plainPassword', 'password');
    }
}
