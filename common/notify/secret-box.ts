import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Webhook receivers' secrets sealed with AES-256-GCM, as they are stored (alarm_receivers) and sent
 * on the bus: the HMAC key every signature needs is only ever opened where it signs (the engine, the
 * API's test delivery), so that whoever reads the warehouse (the read-only ClickHouse HTTP endpoint)
 * or the bus's retention reads no secret. Sealed text is `v1:<base64 of nonce ‖ ciphertext ‖ tag>`;
 * the version is authenticated too, so that a later format is never read as this one.
 */
const VERSION = 'v1';
/** What every sealed secret begins with; a stored secret without it was stored before sealing. */
export const SEALED_PREFIX = `${VERSION}:`;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const SEALED = /^v1:[A-Za-z0-9+/]+={0,2}$/;

/** Why a sealed secret did not open. Its message never holds the sealed text nor the secret. */
export class SecretError extends Error {}

/** Whether `text` is a secret sealed in this format (opening it may still fail: another key). */
export const isSealed = (text: string): boolean =>
  SEALED.test(text) &&
  Buffer.from(text.slice(SEALED_PREFIX.length), 'base64').length > NONCE_BYTES + TAG_BYTES;

/**
 * A key of `--secrets-key`: 32 bytes as 64 hex digits or as base64 (`openssl rand -base64 32`).
 * The error tells what was expected, never the text given.
 */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : /^[A-Za-z0-9+/]{43}=?$/.test(trimmed)
      ? Buffer.from(trimmed, 'base64')
      : undefined;
  if (key?.length !== KEY_BYTES) {
    throw new Error(
      `not a key of ${KEY_BYTES} bytes: give 64 hex digits or 44 characters of base64 (openssl rand -base64 32)`,
    );
  }
  return key;
}

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a secrets key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.key = Buffer.from(key);
  }

  /** The secret sealed under a fresh nonce: sealing one secret twice gives two texts. */
  seal(secret: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce).setAAD(Buffer.from(VERSION));
    const sealed = Buffer.concat([nonce, cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${sealed.toString('base64')}`;
  }

  /** The secret; SecretError when the text is not sealed in this format, or not under this key, or altered. */
  open(sealed: string): string {
    if (!isSealed(sealed)) {
      const version = /^(v\d+):/.exec(sealed)?.[1];
      throw new SecretError(
        version && version !== VERSION
          ? `is sealed in format ${version}, which this version does not read`
          : `is not sealed (${SEALED_PREFIX}…)`,
      );
    }
    const bytes = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, NONCE_BYTES))
      .setAAD(Buffer.from(VERSION))
      .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      const plain = decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES));
      return Buffer.concat([plain, decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError('does not open: sealed under another key, or altered');
    }
  }
}
