import { OAuth2PasswordForm, OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict } from 'nestjs-security-schemes';

describe('OAuth2PasswordRequestForm', () => {
  it('defaults the optional fields to null and splits scope on whitespace', () => {
    expect({ ...new OAuth2PasswordRequestForm({ username: 'u', password: 'p', scope: ' a\tb\n c ' }) }).toEqual({
      grantType: null,
      username: 'u',
      password: 'p',
      scopes: ['a', 'b', 'c'],
      clientId: null,
      clientSecret: null,
    });
  });

  it('has a strict subclass that keeps every field', () => {
    const form = new OAuth2PasswordRequestFormStrict({
      grantType: 'password',
      username: 'u',
      password: 'p',
      clientId: 'id',
      clientSecret: 'secret',
    });
    expect(form).toBeInstanceOf(OAuth2PasswordRequestForm);
    expect({ ...form }).toEqual({
      grantType: 'password',
      username: 'u',
      password: 'p',
      scopes: [],
      clientId: 'id',
      clientSecret: 'secret',
    });
  });
});

describe('@OAuth2PasswordForm()', () => {
  it('refuses a parameter that is not a route handler parameter', () => {
    expect(() => {
      class Service {
        constructor(@OAuth2PasswordForm() readonly form: unknown) {}
      }
      return Service;
    }).toThrow('@OAuth2PasswordForm() decorates a parameter of a route handler method.');
  });
});
