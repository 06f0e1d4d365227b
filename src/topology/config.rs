#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TopologyConfig {}
impl TopologyConfig {
    pub fn validate(&self) -> Result<(), crate::error::FieldError> {
        Ok(())
    }
}
