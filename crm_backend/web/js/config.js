// The page configuration from the backend (no inline script carries it).
export async function loadConfig() {
  const response = await fetch("/api/v1/web/config", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`config: ${response.status}`);
  return response.json();
}
