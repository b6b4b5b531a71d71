import { describe, expect, it } from 'vitest';
import { md5OfAttributes, md5OfBody } from './md5';

// Reference digests published with AWS SDK samples and other SQS implementations' test suites.
describe('SQS MD5 digests', () => {
  it('digests a body as MD5 of its UTF-8 bytes', () => {
    expect(md5OfBody('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5OfBody('héllo')).toBe('be50e8478cf24ff3595bc7307fb91b50');
  });

  it('matches the reference digest for string attributes, whatever order they come in', () => {
    const attrs = {
      test_attribute_name_2: { DataType: 'String', StringValue: 'test_attribute_value_2' },
      test_attribute_name_1: { DataType: 'String', StringValue: 'test_attribute_value_1' },
    };
    expect(md5OfAttributes(attrs)).toBe('d53f3b558fe951154770f25cb63dbba9');
    expect(md5OfAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } })).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
  });

  it('matches the reference digest for number and binary attributes', () => {
    expect(
      md5OfAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(md5OfAttributes({ test_attribute_name: { DataType: 'Binary', BinaryValue: Buffer.from('test_attribute_value').toString('base64') } })).toBe(
      '23f6bd27ea87aab7dfeadcc9aebee495',
    );
  });
});
