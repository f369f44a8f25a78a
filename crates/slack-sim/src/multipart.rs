//! Minimal multipart/form-data reader: enough for file uploads and form fields sent by HTTP clients.

/// One part of a multipart body.
#[derive(Debug, PartialEq)]
pub struct Part {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub body: Vec<u8>,
}

/// Splits a multipart body; `None` when the content type has no boundary or the body does not use it.
pub fn parse(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type.split(';').find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        key.eq_ignore_ascii_case("boundary")
            .then(|| value.trim_matches('"').to_owned())
    })?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = &body[find(body, &delimiter)? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        let end = find(rest, &delimiter)?;
        let segment = rest[..end].strip_prefix(b"\r\n").unwrap_or(&rest[..end]);
        let segment = segment.strip_suffix(b"\r\n").unwrap_or(segment);
        parts.push(parse_part(segment)?);
        rest = &rest[end + delimiter.len()..];
    }
}

fn parse_part(segment: &[u8]) -> Option<Part> {
    let header_end = find(segment, b"\r\n\r\n")?;
    let headers = std::str::from_utf8(&segment[..header_end]).ok()?;
    let mut part = Part {
        name: None,
        filename: None,
        body: segment[header_end + 4..].to_vec(),
    };
    for line in headers.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        for param in value.split(';').skip(1) {
            let Some((k, v)) = param.trim().split_once('=') else {
                continue;
            };
            let v = v.trim_matches('"').to_owned();
            match k.trim() {
                "name" => part.name = Some(v),
                "filename" => part.filename = Some(v),
                _ => {}
            }
        }
    }
    Some(part)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_file_parts() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nChart\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\r\n\
--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("title"));
        assert_eq!(parts[0].body, b"Chart");
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(parts[1].body, b"\x89PNG\r\n\x00");
    }

    #[test]
    fn no_boundary_is_none() {
        assert_eq!(parse("multipart/form-data", b"--a\r\n"), None);
    }
}
